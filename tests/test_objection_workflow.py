"""The objection workflow end to end over a store (SQLite, and PostgreSQL in a fresh schema):
an upheld objection revokes the wrong listing record, and the score, the list entry and the
gate decision change from the decision on, also for past moments, while the old answers stay
reproducible with ``known_at`` before the decision. Notices are produced and stored."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from factories import PERSON, make_record
from pg_schema import fresh_pg_schema
from xinyong.adapters.store import open_store
from xinyong.core.errors import XinyongError
from xinyong.core.objection_case import CaseEvent, NoSuchTarget, TransitionRefused
from xinyong.core.objection_remedy import BadRemedy
from xinyong.system.engine import Engine
from xinyong.system.objection_desk import Desk

LIST = "spc-defaulters/dishonest-defaulters"
GATE = "rail.g-train"


def t(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "credit.db")
        return
    yield from fresh_pg_schema("o_")


class StepClock:
    """The store's clock, set by the test step by step (a replay)."""

    def __init__(self) -> None:
        self.t = t("2026-03-03T12:00")

    def __call__(self) -> datetime:
        return self.t


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture
def desk(url: str, clock: StepClock) -> Iterator[Desk]:
    store = open_store(url, clock=clock)
    journal = store.journal()
    yield Desk(Engine(store), journal)
    journal.close()
    store.close()


def _listing(desk: Desk) -> str:
    rec = make_record(
        category="court.listing_decision",
        occurred_at="2026-03-02",
        recorded_at="2026-03-03",
        source="chaoyang-court",
        legal_basis="Civil Procedure Law",
        details={"ground": 2},
    )
    desk.engine.store.append([rec])
    return rec.id


def _answers(desk: Desk, at: datetime, known_at: datetime) -> tuple[int | None, list[str], str]:
    view = desk.engine.view(PERSON, at, known_at)
    lists = sorted(f"{e.scheme}/{e.list_id}" for e in view.in_force())
    return view.score_of("rongcheng"), lists, desk.engine.check(GATE, PERSON, at, known_at).decision


def test_upheld_objection_changes_score_list_and_gate_as_of_the_decision(
    desk: Desk, clock: StepClock
) -> None:
    rid = _listing(desk)
    ingest_notices = desk.notices_after_ingest(
        list(desk.engine.store.records_for(PERSON)), at=t("2026-03-03T12:00")
    )
    assert {n.kind for n in ingest_notices} >= {"listing", "sanction"}
    listing = next(n for n in ingest_notices if n.kind == "listing")
    assert listing.why["records"] == [rid]
    assert listing.how_to_object["body"] == "the enforcing court"
    # filed on Tue 2026-03-03 at noon China time: 15 days -> Wed 2026-03-18
    assert listing.how_to_object["decision_due_if_filed_now"] == "2026-03-18"

    before = _answers(desk, t("2026-04-01"), t("2026-04-01"))
    assert before[1] == [LIST]
    assert before[2] == "deny"

    case = desk.file(
        PERSON, "list_entry", LIST, "paid before the listing", "subject", at=t("2026-03-10T02:00")
    )
    assert case.state == "filed"
    assert case.rule == "spc-defaulters"
    desk.start_review(case.id, "clerk", at=t("2026-03-11T02:00"))
    decided_at = t("2026-03-20T02:00")
    clock.t = decided_at  # the store accepts the decision's revocation then
    case, notices = desk.decide(
        case.id,
        "upheld",
        "receipt shows payment on 2026-03-01",
        "judge",
        remedy={"action": "revoke", "record": rid},
        at=decided_at,
    )
    assert case.state == "upheld"
    assert case.decision is not None
    assert case.decision.records == (f"{case.id}-decision-revoke",)
    fix = desk.engine.store.get(case.decision.records[0])
    assert fix is not None
    assert fix.refers_to == rid
    assert case.id in fix.source
    assert fix.recorded_at == decided_at
    assert fix.accepted_at == decided_at  # from the store's clock

    after = _answers(desk, t("2026-04-01"), t("2026-04-01"))
    assert after[1] == []
    assert after[2] == "allow"
    assert after[0] is not None
    assert before[0] is not None
    assert after[0] > before[0]
    # the old answer stays reproducible with what was known before the decision ...
    assert _answers(desk, t("2026-04-01"), decided_at - timedelta(seconds=1)) == before
    # ... and the correction holds for the past too once known
    past = _answers(desk, t("2026-03-15"), t("2026-04-01"))
    assert past[1] == []
    assert past[2] == "allow"

    kinds = [n.kind for n in notices]
    assert kinds == ["objection_decision"]  # nothing got worse; the decision is notified
    stored = desk.notices_of(PERSON)
    assert [n["kind"] for n in stored].count("objection_decision") == 1
    assert {n["id"] for n in stored} >= {n.id for n in ingest_notices}
    # sending the same ingest notices again stores nothing twice
    assert desk.journal.add_notices(ingest_notices) == 0

    closed = desk.close(case.id, "clerk", at=t("2026-03-21"))
    assert closed.state == "closed"
    with pytest.raises(TransitionRefused, match="closed"):
        desk.reconsider(case.id, "again", "subject", at=t("2026-03-22"))
    assert [c.id for c in desk.cases(PERSON)] == [case.id]


def test_rejection_reconsideration_and_overdue(desk: Desk) -> None:
    rid = _listing(desk)
    case = desk.file(PERSON, "record", rid, "not my debt", "subject", at=t("2026-03-10T02:00"))
    # decision due 2026-03-25 (15 days); overdue from 2026-03-26 00:00 China time
    assert desk.overdue(t("2026-03-25T15:59")) == []
    late = desk.overdue(t("2026-03-25T16:00"))
    assert [(c.id, [d.name for d in ds]) for c, ds in late] == [(case.id, ["decision"])]
    desk.start_review(case.id, "clerk", at=t("2026-03-26"))
    case, notices = desk.decide(
        case.id, "rejected", "the judgment names you", "judge", at=t("2026-03-27T02:00")
    )
    assert notices[0].how_to_object["reconsideration_by"] == "2026-04-07"  # 6th is Qingming
    assert desk.overdue(t("2026-04-30")) == []
    case = desk.reconsider(case.id, "the judgment was set aside", "subject", at=t("2026-04-07"))
    assert case.state == "reconsideration"
    late = desk.overdue(t("2026-04-23T16:00"))  # 15 days from 2026-04-08 (China) = 04-22
    assert [d.name for _, ds in late for d in ds] == ["reconsideration_decision"]
    case, _ = desk.decide(
        case.id,
        "upheld",
        "set aside on appeal",
        "higher court",
        remedy={"action": "correct", "record": rid, "changes": {"details": {"ground": 3}}},
        at=t("2026-04-24"),
    )
    assert case.state == "upheld"
    assert case.reconsideration is not None
    fixed = desk.engine.view(PERSON, t("2026-05-01"))
    assert [e.cause.get("ground") for e in fixed.entries] == ["3"]
    assert desk.overdue(t("2026-06-01")) == []


def test_refusals_write_nothing(desk: Desk) -> None:
    rid = _listing(desk)
    with pytest.raises(NoSuchTarget, match="not and was not on list"):
        desk.file(PERSON, "list_entry", "rongcheng/black", "x", "s", at=t("2026-03-10"))
    with pytest.raises(NoSuchTarget, match="no record"):
        desk.file(PERSON, "record", "nope", "x", "s", at=t("2026-03-10"))
    case = desk.file(PERSON, "record", rid, "x", "s", at=t("2026-03-10"))
    with pytest.raises(TransitionRefused, match="start the review first"):
        desk.decide(case.id, "rejected", "no", "judge", at=t("2026-03-11"))
    desk.start_review(case.id, "clerk", at=t("2026-03-11"))
    with pytest.raises(TransitionRefused, match="needs a remedy"):
        desk.decide(case.id, "upheld", "yes", "judge", at=t("2026-03-12"))
    other = make_record(occurred_at="2026-01-01", recorded_at="2026-01-02")
    desk.engine.store.append([other])
    with pytest.raises(BadRemedy, match="must revoke or correct that record"):
        desk.decide(
            case.id,
            "upheld",
            "yes",
            "judge",
            remedy={"action": "revoke", "record": other.id},
            at=t("2026-03-12"),
        )
    with pytest.raises(TransitionRefused, match="before the case's last event"):
        desk.decide(case.id, "rejected", "no", "judge", at=t("2026-03-10T12:00"))
    with pytest.raises(TransitionRefused, match="ahead of the clock"):
        desk.close(case.id, "clerk", at=datetime.now(UTC) + timedelta(days=2))
    assert desk.case(case.id).state == "under_review"
    assert len(desk.engine.store.records_for(PERSON)) == 2
    assert desk.notices_of(PERSON) == []


def test_reconsideration_window_is_enforced(desk: Desk) -> None:
    rid = _listing(desk)
    case = desk.file(PERSON, "record", rid, "x", "s", at=t("2026-03-10"))
    desk.start_review(case.id, "c", at=t("2026-03-11"))
    desk.decide(case.id, "rejected", "no", "judge", at=t("2026-03-12T02:00"))
    # 10 days from Thu 2026-03-12 = Sun 2026-03-22 -> rolls to Mon 2026-03-23
    with pytest.raises(TransitionRefused, match=r"by 2026-03-23"):
        desk.reconsider(case.id, "late", "s", at=t("2026-03-23T16:00"))
    assert desk.reconsider(case.id, "in time", "s", at=t("2026-03-23T15:00")).state == (
        "reconsideration"
    )


def test_events_and_notices_are_append_only(desk: Desk, url: str) -> None:
    rid = _listing(desk)
    case = desk.file(PERSON, "record", rid, "x", "s", at=t("2026-03-10"))
    # a second writer of the same event number fails instead of forking the case
    review = CaseEvent(case.id, "review_started", t("2026-03-11"), "c")
    desk.journal.append_event(review, PERSON, 1)
    with pytest.raises(XinyongError, match="recorded by someone else"):
        desk.journal.append_event(review, PERSON, 1)
    assert desk.notices_after_ingest(desk.engine.store.records_for(PERSON), at=t("2026-03-04"))
    if "://" in url:
        return  # PostgreSQL's guard: tests/http/test_http_postgres.py
    con = sqlite3.connect(url)
    try:
        for sql in ("UPDATE objection_events SET kind = 'closed'", "DELETE FROM notices"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                con.execute(sql)
    finally:
        con.close()


def test_notices_follow_the_log_and_survive_a_crash_before_they_were_sent(url: str) -> None:
    store = open_store(url)
    journal = store.journal()
    desk = Desk(Engine(store), journal)
    old = make_record(category="traffic.violation", occurred_at="2026-01-05")
    store.append([old])
    desk.start_notices()  # records already stored are not news
    assert journal.notice_mark() == 1
    assert desk.notices_catch_up(at=t("2026-03-04")) == []
    rid = _listing(desk)  # committed; the process dies before its notices are made
    journal.close()
    store.close()

    store = open_store(url)  # restart
    journal = store.journal()
    desk = Desk(Engine(store), journal)
    got = desk.notices_catch_up(at=t("2026-03-04"))
    assert {n.kind for n in got} >= {"listing", "sanction"}
    assert all(n.why["records"] == [rid] for n in got if n.kind == "listing")
    assert journal.notice_mark() == 2
    stored = journal.notices_of(PERSON)
    assert len(stored) == len(got)
    # caught up: nothing twice
    assert desk.notices_catch_up(at=t("2026-03-04")) == []
    assert len(journal.notices_of(PERSON)) == len(got)
    # a step computed from a stale mark (another process got there first) writes nothing
    assert journal.add_notices(got, mark=(1, 2)) == -1
    assert journal.notice_mark() == 2
    journal.close()
    store.close()
