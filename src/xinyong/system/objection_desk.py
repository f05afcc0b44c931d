"""The objection workflow and notices over a store: the one place the CLI and the service call.

Each step loads the case's events, checks the new event with the pure state machine
(:mod:`xinyong.core.objection_case`), and only then writes: an upheld decision checks its
correcting record against the store, appends the event (numbered: a concurrent decision of
the same case fails there), then the correcting record, then the notices. Notices of adverse
changes are also produced for the subjects of newly ingested records
(:meth:`Desk.notices_after_ingest`).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from xinyong.core.evaluate import evaluate_subject
from xinyong.core.notices import Notice, adverse_changes, decision_notice, schemes_to_compare
from xinyong.core.objection_case import (
    Case,
    CaseEvent,
    Deadline,
    NoSuchCase,
    NoSuchTarget,
    TransitionRefused,
    apply,
    case_to_dict,
    fold,
    overdue,
)
from xinyong.core.objection_remedy import BadRemedy, correcting_record, parse_remedy
from xinyong.core.objection_rules import ObjectionRule, ObjectionRules, TargetKind
from xinyong.core.records import Record
from xinyong.core.timeutil import now
from xinyong.core.workdays import WorkCalendar
from xinyong.system.engine import Engine
from xinyong.system.ports import JournalPort
from xinyong.system.procedures_io import objection_rules, work_calendar

_TICK = timedelta(microseconds=1)
_FILES_PER_QUERY = 500  # subjects whose files one query fetches for notices


@dataclass
class Desk:
    engine: Engine
    journal: JournalPort
    rules: ObjectionRules = field(default_factory=objection_rules)
    calendar: WorkCalendar = field(default_factory=work_calendar)

    # -- reading

    def rule(self, case: Case) -> ObjectionRule:
        return self.rules.by_id(case.rule)

    def case(self, case_id: str) -> Case:
        events = self.journal.events(case_id)
        if not events:
            raise NoSuchCase(
                f"no objection {case_id!r}; objection ids look like obj-0123456789abcdef "
                "(xinyong objections list shows them)"
            )
        return fold(events, {r.id: r for r in self.rules.rules}, self.calendar)

    def cases(self, subject: str | None = None) -> list[Case]:
        return [self.case(i) for i in self.journal.case_ids(subject)]

    def show(self, case: Case, at: datetime | None = None) -> dict[str, Any]:
        return case_to_dict(case, self.rule(case), self.calendar, at or now())

    def overdue(self, at: datetime) -> list[tuple[Case, list[Deadline]]]:
        out = []
        for case in self.cases():
            late = overdue(case, self.rule(case), self.calendar, at)
            if late:
                out.append((case, late))
        return out

    # -- writing

    def _when(self, at: datetime | None) -> datetime:
        t = now() if at is None else at
        if t > now() + timedelta(minutes=1):
            raise TransitionRefused(
                f"an event cannot be recorded ahead of the clock ({t.isoformat()}); give a "
                "moment up to now"
            )
        return t

    def _append(self, case: Case | None, event: CaseEvent) -> Case:
        rule = self.rule(case) if case is not None else None
        after = apply(case, event, rule, self.calendar)
        subject = after.subject
        self.journal.append_event(event, subject, len(after.events) - 1)
        return after

    def file(
        self,
        subject: str,
        kind: TargetKind,
        target: str,
        reason: str,
        actor: str,
        *,
        contact: str | None = None,
        at: datetime | None = None,
    ) -> Case:
        """File an objection to a record of ``subject`` or a list it is or was on."""
        t = self._when(at)
        category: str | None = None
        if kind == "record":
            rec = self.engine.store.get(target)
            if rec is None or rec.subject != subject:
                raise NoSuchTarget(
                    f"no record {target!r} of subject {subject}; give the id of a record in "
                    "this subject's file (shown in the file and in each list explanation)"
                )
            category = rec.category
        else:
            scheme, _, list_id = target.partition("/")
            if not scheme or not list_id:
                raise NoSuchTarget(f"list {target!r} must be written scheme/list")
            view = self.engine.view(subject, t)
            if not any(e.scheme == scheme and e.list_id == list_id for e in view.entries):
                raise NoSuchTarget(
                    f"subject {subject} is not and was not on list {target}; object to a "
                    "list the subject is or was on, or to a record"
                )
        rule = self.rules.governing(kind, target, category)
        data: dict[str, Any] = {
            "subject": subject,
            "target_kind": kind,
            "target": target,
            "category": category,
            "rule": rule.id,
            "reason": reason.strip(),
        }
        if contact:
            data["contact"] = contact
        event = CaseEvent("obj-" + secrets.token_hex(8), "filed", t, actor, data)
        return self._append(None, event)

    def start_review(
        self, case_id: str, actor: str, *, note: str = "", at: datetime | None = None
    ) -> Case:
        case = self.case(case_id)
        data = {"note": note} if note else {}
        return self._append(case, CaseEvent(case_id, "review_started", self._when(at), actor, data))

    def reconsider(
        self, case_id: str, reason: str, actor: str, *, at: datetime | None = None
    ) -> Case:
        case = self.case(case_id)
        event = CaseEvent(
            case_id, "reconsideration_requested", self._when(at), actor, {"reason": reason}
        )
        return self._append(case, event)

    def withdraw(
        self, case_id: str, actor: str, *, reason: str = "", at: datetime | None = None
    ) -> Case:
        """The objector withdraws the objection (before a ruling): the case ends there."""
        case = self.case(case_id)
        data = {"reason": reason.strip()} if reason.strip() else {}
        return self._append(case, CaseEvent(case_id, "withdrawn", self._when(at), actor, data))

    def close(
        self, case_id: str, actor: str, *, note: str = "", at: datetime | None = None
    ) -> Case:
        case = self.case(case_id)
        data = {"note": note} if note else {}
        return self._append(case, CaseEvent(case_id, "closed", self._when(at), actor, data))

    def decide(
        self,
        case_id: str,
        outcome: str,
        reasons: str,
        actor: str,
        *,
        remedy: Mapping[str, Any] | None = None,
        at: datetime | None = None,
    ) -> tuple[Case, list[Notice]]:
        """Decide the objection (or its reconsideration). An upheld one appends the
        correcting record first, so that every score, list entry and gate decision that
        depended on the wrong record changes, as known from the decision on."""
        case = self.case(case_id)
        t = self._when(at)
        kind = "reconsideration_decided" if case.state == "reconsideration" else "decided"
        rule = self.rule(case)
        records: list[Record] = []
        data: dict[str, Any] = {"outcome": outcome, "reasons": reasons.strip()}
        if remedy:
            r = parse_remedy(remedy)
            original = self.engine.store.get(r.record)
            if original is None or original.subject != case.subject:
                raise BadRemedy(f"remedy.record: no record {r.record!r} of subject {case.subject}")
            if case.target_kind == "record" and r.record != case.target:
                raise BadRemedy(
                    f"remedy.record: the objection is about record {case.target!r}; the remedy "
                    f"must revoke or correct that record, not {r.record!r}"
                )
            stage = "reconsideration" if kind == "reconsideration_decided" else "decision"
            fix = correcting_record(case_id, stage, r, original, t, rule, reasons.strip())
            problems = self.engine.store.check([fix], limit=1)
            if problems:
                raise BadRemedy(f"remedy: {problems[0].reason}")
            records.append(fix)
            data.update(remedy=r.to_dict(), records=[fix.id])
        event = CaseEvent(case_id, kind, t, actor, data)
        after = apply(case, event, rule, self.calendar)  # refuse before writing anything
        before_view = self.engine.view(case.subject, t, t - _TICK)
        # the event first: a concurrent decision fails here, before the file is touched; the
        # correcting record was checked against the store above
        self.journal.append_event(event, case.subject, len(after.events) - 1)
        if records:  # written by the procedure, which the writer names
            self.engine.store.append(records, writer=f"objection:{case_id}")
        after_view = self.engine.view(case.subject, t, t)
        cause = f"objection {case_id} {after.state}"
        notices = [decision_notice(after, rule, self.calendar)]
        notices += adverse_changes(
            before_view, after_view, self.engine.memoranda, self.rules, self.calendar, cause
        )
        self.journal.add_notices(notices)
        return after, notices

    # -- notices

    def notices_after_ingest(
        self, records: Sequence[Record], at: datetime | None = None
    ) -> list[Notice]:
        """Notices for the adverse changes that ``records`` (just appended) made to their
        subjects, evaluated at ``at`` (default now); stored and returned."""
        out = self._adverse(records, at or now())
        self.journal.add_notices(out)
        return out

    def _adverse(self, records: Sequence[Record], t: datetime) -> list[Notice]:
        """The adverse changes ``records`` (appended) made to their subjects, seen at ``t``."""
        new = {r.id for r in records}
        cause = "records " + ", ".join(sorted(new)[:5]) + (" ..." if len(new) > 5 else "")
        out: list[Notice] = []
        schemes, memoranda = self.engine.schemes, self.engine.memoranda
        subjects = sorted({r.subject for r in records})
        for start in range(0, len(subjects), _FILES_PER_QUERY):
            chunk = subjects[start : start + _FILES_PER_QUERY]
            files = self.engine.store.records_for_many(chunk)
            for subject in chunk:
                mine = files.get(subject, [])
                after = evaluate_subject(schemes, subject, mine, t)
                need = schemes_to_compare(after, memoranda)
                if need is not None and not need:
                    continue  # nothing adverse now, so nothing got worse
                scope = schemes if need is None else {k: schemes[k] for k in need}
                old = [r for r in mine if r.id not in new]
                before = evaluate_subject(scope, subject, old, t)
                out += adverse_changes(before, after, memoranda, self.rules, self.calendar, cause)
        return out

    def start_notices(self) -> None:
        """Start following the record log for notices from its current end, if not yet
        following it (records already stored get no notices: they were not news)."""
        if self.journal.notice_mark() is None:
            top, _ = self.engine.store.appended_after(2**62)
            self.journal.add_notices([], mark=(None, top))

    def notices_catch_up(self, at: datetime | None = None) -> list[Notice]:
        """Notices for every record appended since the last step (see :meth:`start_notices`),
        stored together with the new mark; what a crash interrupted is redone on the next
        call. Returns the notices stored by this call (none if another process covered the
        same records first)."""
        out: list[Notice] = []
        while True:
            start = self.journal.notice_mark()
            if start is None:
                self.start_notices()
                return out
            top, new = self.engine.store.appended_after(start)
            if top <= start:
                return out
            notices = self._adverse(new, at or now()) if new else []
            if self.journal.add_notices(notices, mark=(start, top)) >= 0:
                out += notices
            # else another process stored this step first: look again from its mark

    def notices_of(self, subject: str) -> list[dict[str, Any]]:
        return self.journal.notices_of(subject)
