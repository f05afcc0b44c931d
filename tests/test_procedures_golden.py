"""Golden cases for the due-process procedures, written in YAML, one case per file.

Every ``tests/procedures/**/*.yaml`` is one test (its id is the path below
``tests/procedures``). Two kinds of case; a policy analyst writes either without Python.

Deadline arithmetic (``tests/procedures/deadlines/``)::

    description: what the case shows and why the expected dates are right
    deadlines:
      - from: 2026-02-12          # the starting day (a date in China)
        period: 3wd               # "3wd" = 3 working days, "15d" = 15 natural days
        due: 2026-02-24           # the expected last day
        roll: false               # optional (natural days only): do not move a last day
                                  # that is a rest day (default: move it to the next working day)
        provisional: true         # optional: the due date runs through a provisional calendar
                                  # year (statutory holidays only) and says so; default false
        note: Sat 14 Feb is a working day; 15-23 Feb is the Spring Festival   # optional
      - from: 2026-12-30
        period: 3wd
        error: outside the working-day calendar   # expected refusal (words of the message)

Objection cases (``tests/procedures/cases/``)::

    description: ...
    target: {kind: list_entry, id: spc-defaulters/dishonest-defaulters}
                                  # or {kind: record, id: r1, category: court.listing_decision}
    rule: spc-defaulters          # the rule expected to govern the target
    events:                       # in order; times with +08:00 are China time
      - {kind: filed, at: 2026-02-10T10:00:00+08:00, by: subject, reason: paid}
      - {kind: decided, at: ..., by: judge, outcome: rejected, reasons: no proof,
         refused: start the review first}    # expected refusal: the event is not applied
    expected:
      state: closed
      deadlines: {decision: 2026-02-25}      # name -> due date (China), each optional
      late: [decision]                       # obligations met after their deadline
      provisional: [decision]                # deadlines flagged provisional (optional)
    overdue:                                 # optional: overdue obligations at moments,
      - {at: 2026-02-26T00:00:00+08:00, names: [decision]}   # from the events up to then

Files are validated strictly: an unknown key fails with the file and the key path.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from xinyong.core.objection_case import (
    Case,
    CaseEvent,
    TransitionRefused,
    apply,
    deadlines,
    overdue,
)
from xinyong.core.timeutil import parse_instant
from xinyong.core.workdays import OutsideCalendar, Period
from xinyong.golden.strict_yaml import CaseError, StrictLoader
from xinyong.golden.strict_yaml import check_keys as _keys
from xinyong.system.procedures_io import objection_rules, work_calendar

ROOT = Path(__file__).parent / "procedures"
DEADLINE_KEYS = ("from", "period", "due", "roll", "note", "error", "provisional")
CASE_KEYS = ("description", "target", "rule", "events", "expected", "overdue")
EVENT_KEYS = (
    "kind", "at", "by", "reason", "reasons", "outcome", "remedy", "note", "refused",
)  # fmt: skip
EXPECTED_KEYS = ("state", "deadlines", "late", "provisional")


def _date(where: str, v: Any) -> date:
    if isinstance(v, date) and not isinstance(v, datetime):
        return v
    raise CaseError(f"key '{where}': must be a date written 2026-02-12, got {v!r}")


def _instant(where: str, v: Any) -> datetime:
    try:
        return parse_instant(v)
    except (ValueError, TypeError):
        raise CaseError(f"key '{where}': must be a date-time, got {v!r}") from None


def run_deadlines(raw: Mapping[str, Any]) -> list[str]:
    cal = work_calendar()
    problems = []
    items = raw["deadlines"]
    if not isinstance(items, list) or not items:
        raise CaseError("key 'deadlines': must be a non-empty list")
    for i, d in enumerate(items):
        where = f"deadlines[{i}]"
        _keys(where, d, DEADLINE_KEYS, ("from", "period"))
        if ("due" in d) == ("error" in d):
            raise CaseError(f"key '{where}': give exactly one of due or error")
        start = _date(f"{where}.from", d["from"])
        try:
            period = Period.parse(str(d["period"]))
        except ValueError as e:
            raise CaseError(f"key '{where}.period': {e}") from None
        try:
            got: date | str = cal.due(start, period, roll=bool(d.get("roll", True)))
        except OutsideCalendar as e:
            got = f"error: {e}"
        if "due" in d:
            want = _date(f"{where}.due", d["due"])
            if got != want:
                problems.append(f"{where}: {start} + {period}: expected {want}, got {got}")
            elif isinstance(got, date):
                note = cal.provisional_note(start, got)
                if bool(d.get("provisional", False)) != (note is not None):
                    problems.append(
                        f"{where}: {start} + {period}: expected provisional "
                        f"{bool(d.get('provisional', False))}, got note {note!r}"
                    )
        elif not (isinstance(got, str) and str(d["error"]) in got):
            problems.append(
                f"{where}: {start} + {period}: expected error {d['error']!r}, got {got}"
            )
    return problems


def _event(
    where: str, raw: Mapping[str, Any], case_id: str, target: Mapping[str, Any]
) -> CaseEvent:
    _keys(where, raw, EVENT_KEYS, ("kind", "at"))
    data = {k: v for k, v in raw.items() if k not in ("kind", "at", "by", "refused")}
    if raw["kind"] == "filed":
        rules = objection_rules()
        rule = rules.governing(target["kind"], target["id"], target.get("category"))
        data.update(
            subject="11010519491231002X",
            target_kind=target["kind"],
            target=target["id"],
            category=target.get("category"),
            rule=rule.id,
        )
    return CaseEvent(
        case_id,
        str(raw["kind"]),
        _instant(f"{where}.at", raw["at"]),
        str(raw.get("by", "someone")),
        data,
    )


def _replay(
    events: list[tuple[CaseEvent, str | None]], until: datetime | None
) -> tuple[Case | None, list[str]]:
    rules = objection_rules()
    cal = work_calendar()
    case: Case | None = None
    problems = []
    for i, (e, refused) in enumerate(events):
        if until is not None and e.at > until:
            break
        rule = rules.by_id(case.rule) if case is not None else None
        try:
            after = apply(case, e, rule, cal)
        except TransitionRefused as x:
            if refused is None:
                problems.append(f"events[{i}] ({e.kind}): refused unexpectedly: {x}")
            elif refused not in str(x):
                problems.append(f"events[{i}] ({e.kind}): refused with {x!s}, expected {refused!r}")
            continue
        if refused is not None:
            problems.append(f"events[{i}] ({e.kind}): expected a refusal ({refused!r}), accepted")
            continue
        case = after
    return case, problems


def run_case(raw: Mapping[str, Any]) -> list[str]:
    _keys("", raw, CASE_KEYS, ("description", "target", "events", "expected"))
    target = raw["target"]
    _keys("target", target, ("kind", "id", "category"), ("kind", "id"))
    if target["kind"] not in ("record", "list_entry"):
        raise CaseError("key 'target.kind': must be record or list_entry")
    rules = objection_rules()
    problems = []
    rule = rules.governing(target["kind"], target["id"], target.get("category"))
    if "rule" in raw and raw["rule"] != rule.id:
        problems.append(f"rule: expected {raw['rule']!r} to govern the target, got {rule.id!r}")
    if not isinstance(raw["events"], list) or not raw["events"]:
        raise CaseError("key 'events': must be a non-empty list")
    events = [
        (_event(f"events[{i}]", e, "obj-golden", target), e.get("refused"))
        for i, e in enumerate(raw["events"])
    ]
    case, more = _replay(events, None)
    problems += more
    exp = raw["expected"]
    _keys("expected", exp, EXPECTED_KEYS)
    if case is None:
        return [*problems, "no event was accepted; a case starts with 'filed'"]
    cal = work_calendar()
    if "state" in exp and case.state != exp["state"]:
        problems.append(f"state: expected {exp['state']!r}, got {case.state!r}")
    got = {d.name: d for d in deadlines(case, rule, cal)}
    for name, due in (exp.get("deadlines") or {}).items():
        want = _date(f"expected.deadlines.{name}", due)
        if name not in got:
            problems.append(f"deadlines.{name}: expected {want}, the case has no such deadline")
        elif got[name].due != want:
            problems.append(f"deadlines.{name}: expected {want}, got {got[name].due}")
    if "late" in exp:
        late = sorted(n for n, d in got.items() if d.met_at is not None and d.overdue(d.met_at))
        if late != sorted(exp["late"]):
            problems.append(f"late: expected {sorted(exp['late'])}, got {late}")
    if "provisional" in exp:
        flagged = sorted(n for n, d in got.items() if d.provisional)
        if flagged != sorted(exp["provisional"]):
            problems.append(f"provisional: expected {sorted(exp['provisional'])}, got {flagged}")
    for i, chk in enumerate(raw.get("overdue") or []):
        _keys(f"overdue[{i}]", chk, ("at", "names"), ("at", "names"))
        at = _instant(f"overdue[{i}].at", chk["at"])
        then, _ = _replay(events, at)
        names = [d.name for d in overdue(then, rule, cal, at)] if then is not None else []
        if sorted(names) != sorted(chk["names"]):
            problems.append(f"overdue[{i}] at {at}: expected {sorted(chk['names'])}, got {names}")
    return problems


def _files() -> list[Path]:
    return sorted(ROOT.rglob("*.yaml"))


@pytest.mark.parametrize("path", [pytest.param(p, id=str(p.relative_to(ROOT))) for p in _files()])
def test_procedure_case(path: Path) -> None:
    __tracebackhide__ = True
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=StrictLoader)
    try:
        if not isinstance(raw, Mapping) or not str(raw.get("description", "")).strip():
            raise CaseError("key 'description': must say what the case shows and why")
        if "deadlines" in raw and "events" not in raw:
            _keys("", raw, ("description", "deadlines"), ("description", "deadlines"))
            problems = run_deadlines(raw)
        else:
            problems = run_case(raw)
    except CaseError as e:
        pytest.fail(f"{path.relative_to(ROOT)}: {e}", pytrace=False)
    if problems:
        pytest.fail(f"{path.relative_to(ROOT)}:\n  " + "\n  ".join(problems), pytrace=False)


def test_there_are_cases_of_both_kinds() -> None:
    assert len(list((ROOT / "deadlines").glob("*.yaml"))) >= 4
    assert len(list((ROOT / "cases").glob("*.yaml"))) >= 3


def test_a_malformed_case_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match=r"key 'deadlines\[0\]\.perod': unknown key"):
        run_deadlines({"deadlines": [{"from": date(2026, 3, 2), "perod": "3wd", "due": 1}]})
    with pytest.raises(CaseError, match="give exactly one of due or error"):
        run_deadlines({"deadlines": [{"from": date(2026, 3, 2), "period": "3wd"}]})


def test_a_wrong_expectation_is_reported() -> None:
    """The runner can fail: a deliberately wrong due date and a wrong state are reported."""
    got = run_deadlines(
        {"deadlines": [{"from": date(2026, 2, 12), "period": "3wd", "due": date(2026, 2, 17)}]}
    )
    assert got == ["deadlines[0]: 2026-02-12 + 3wd: expected 2026-02-17, got 2026-02-24"]
    case = {
        "description": "x",
        "target": {"kind": "record", "id": "r1", "category": "traffic.violation"},
        "events": [{"kind": "filed", "at": "2026-03-02T10:00:00+08:00", "reason": "x"}],
        "expected": {"state": "closed"},
    }
    assert run_case(case) == ["state: expected 'closed', got 'filed'"]
