"""Where the engine and a case disagree: one :class:`Difference` per key of the case."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from xinyong.core.evaluate import SubjectView
from xinyong.core.lists import ListEntry
from xinyong.core.records import Record
from xinyong.core.sanctions import Decision
from xinyong.core.timeutil import iso
from xinyong.golden.cases import Check
from xinyong.golden.expectations import SCORE_KEYS, RepairCase
from xinyong.system.repairs import publications


@dataclass(frozen=True, slots=True)
class Difference:
    """The case says ``expected`` at key ``path`` of its file; the engine found ``got``."""

    path: str
    expected: Any
    got: Any
    note: str = ""

    def __str__(self) -> str:
        text = f"{self.path}: expected {self.expected!r}, got {self.got!r}"
        return f"{text} ({self.note})" if self.note else text

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "expected": self.expected, "got": self.got, "note": self.note}


def ended_by(entry: ListEntry, at: datetime) -> str | None:
    """How an entry ended by ``at``: its removal event, end-of-term, expired, or None."""
    if entry.until is None or entry.until > at:
        return None
    for ev in entry.events:
        if ev["event"] in ("removed", "term ended"):
            return str(ev["removal"])
        if ev["event"] == "expired":
            return "expired"
    return "end-of-term"


def check_differences(
    where: str,
    check: Check,
    view: SubjectView,
    decisions: dict[str, Decision],
    records: Sequence[Record],
) -> list[Difference]:
    """Every key of ``check.expected`` (at ``where``) that the engine's ``view`` contradicts."""
    out: list[Difference] = []
    exp = check.expected
    for name, want in exp.get("scores", {}).items():
        got = view.scores.get(name)
        path = f"{where}.scores.{name}"
        if want is None:
            if got is not None:
                found = {"score": got.score, "grade": got.grade}
                out.append(Difference(path, None, found, "expected no version in force"))
            continue
        if got is None:
            note = f"no version of {name!r} is in force at {iso(check.at)}"
            out.append(Difference(path, want, None, note))
            continue
        for key in SCORE_KEYS:
            if key in want and getattr(got, key) != want[key]:
                out.append(Difference(f"{path}.{key}", want[key], getattr(got, key)))
    if "lists_in_force" in exp:
        got_lists = sorted({f"{e.scheme}/{e.list_id}" for e in view.in_force()})
        _same_set(out, f"{where}.lists_in_force", exp["lists_in_force"], got_lists)
    if "not_listed" in exp:
        refused = sorted({n.record_id for n in view.refused})
        _same_set(out, f"{where}.not_listed", exp["not_listed"], refused)
    if "published" in exp:
        pubs = publications(records, check.at, check.known_at)
        shown = sorted(p.record_id for p in pubs if p.shown(check.at))
        _same_set(out, f"{where}.published", exp["published"], shown)
    for ref, want in exp.get("ended_by", {}).items():
        mine = [e for e in view.entries if f"{e.scheme}/{e.list_id}" == ref]
        if not mine:
            note = f"the subject has no entry on {ref}"
            out.append(Difference(f"{where}.ended_by.{ref}", want, None, note))
        elif (how := ended_by(mine[-1], check.at)) != want:
            out.append(Difference(f"{where}.ended_by.{ref}", want, how))
    for gate, want in exp.get("gates", {}).items():
        if decisions[gate].decision != want:
            out.append(Difference(f"{where}.gates.{gate}", want, decisions[gate].decision))
    return out


def _same_set(out: list[Difference], path: str, want: list[str], got: list[str]) -> None:
    if got != sorted(set(want)):
        out.append(Difference(path, sorted(set(want)), got))


def repair_differences(
    where: str, rq: RepairCase, granted: bool, reasons: list[str]
) -> list[Difference]:
    """Where the repair decision contradicts the case's ``expected`` (at ``where``)."""
    got = "granted" if granted else "refused"
    out = []
    if got != rq.decision:
        out.append(Difference(f"{where}.decision", rq.decision, got, f"reasons: {reasons}"))
    if rq.reasons:
        if not granted and len(reasons) != len(rq.reasons):
            note = "the number of reasons differs"
            out.append(Difference(f"{where}.reasons", rq.reasons, reasons, note))
        for i, (want, have) in enumerate(zip(rq.reasons, reasons, strict=False)):
            if want not in have:
                note = "each expected text must be found in the reason at its place"
                out.append(Difference(f"{where}.reasons[{i}]", want, have, note))
    return out
