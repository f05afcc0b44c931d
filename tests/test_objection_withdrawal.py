"""Withdrawal ends the deciding body's open obligations: never overdue if it came before the
last day; overdue (and shown so) if the last day had already passed when it came."""

from __future__ import annotations

from datetime import date, datetime

from xinyong.core.objection_case import Deadline
from xinyong.core.timeutil import parse_instant
from xinyong.core.workdays import Period


def _decision(ended: str | None) -> Deadline:
    return Deadline(
        "decision", "decides within 15 days", True, date(2026, 2, 10), Period.parse("15d"),
        date(2026, 2, 25), None, ended_at=parse_instant(ended) if ended else None,
    )  # fmt: skip


def t(text: str) -> datetime:
    return parse_instant(text)


def test_withdrawn_before_the_last_day_is_never_overdue() -> None:
    d = _decision("2026-02-20T02:00:00Z")
    assert not d.overdue(t("2026-03-01"))
    assert not d.open_overdue(t("2026-03-01"))
    assert d.to_dict(t("2026-03-01"))["ended_at"] == "2026-02-20T02:00:00Z"


def test_withdrawn_after_the_last_day_stays_overdue_but_no_longer_open() -> None:
    d = _decision("2026-02-27T02:00:00Z")
    assert not d.overdue(t("2026-02-25T12:00:00Z"))  # 20:00 in China: still its last day
    assert d.open_overdue(t("2026-02-26T12:00:00Z"))  # overdue and still owed
    assert d.overdue(t("2026-03-01"))  # it was overdue when the withdrawal ended it
    assert not d.open_overdue(t("2026-03-01"))  # but nothing is owed any more


def test_without_a_withdrawal_the_obligation_stays_open() -> None:
    d = _decision(None)
    assert d.open_overdue(t("2026-03-01"))
    assert "ended_at" not in d.to_dict(t("2026-03-01"))
