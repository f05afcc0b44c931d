"""The engine over a store: fetch a subject's credit file, then call the pure core."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from xinyong.core.errors import XinyongError, did_you_mean
from xinyong.core.evaluate import (
    SubjectView,
    age_on,
    check_gate,
    evaluate_subject,
    linked_units,
)
from xinyong.core.lists import ListEntry, list_entries
from xinyong.core.records import Record
from xinyong.core.sanctions import Decision, Memorandum, gates_of
from xinyong.core.scoring.engine import AnyScheme, score_subject
from xinyong.core.scoring.result import ScoreResult
from xinyong.system.catalogue import review_holds
from xinyong.system.ports import LiveStatePort
from xinyong.system.record_store import RecordStore
from xinyong.system.schemes_io import all_memoranda, all_presets


class UnknownGate(XinyongError):
    pass


@dataclass
class Engine:
    store: RecordStore
    schemes: dict[str, AnyScheme] = field(default_factory=all_presets)
    memoranda: Sequence[Memorandum] = field(default_factory=all_memoranda)
    state: LiveStatePort | None = None
    """When set (same schemes and memoranda), views with the latest knowledge (``known_at``
    ``None``) and gate checks are read from the materialised state instead of re-evaluated:
    same answers."""

    def view(self, subject: str, at: datetime, known_at: datetime | None = None) -> SubjectView:
        """``subject`` at ``at`` with what the store held at ``known_at`` (records accepted
        by then, on the store's clock; ``None``: the latest knowledge)."""
        if self.state is not None and known_at is None:
            return self.state.view(subject, at)
        return evaluate_subject(
            self.schemes, subject, self._file(subject), at, known_at, review_holds()
        )

    def _file(self, subject: str) -> list[Record]:
        """The subject's records, and those of organisations a role record of theirs names
        (role-bound gates: Provisions on Restricting High Consumption art. 3 para. 2)."""
        records = list(self.store.records_for(subject))
        for unit in sorted(linked_units(records)):
            records.extend(self.store.records_for(unit))
        return records

    def score(
        self, subject: str, scheme: AnyScheme, at: datetime, known_at: datetime | None = None
    ) -> tuple[ScoreResult, list[ListEntry]]:
        """The subject's score under ``scheme`` and its entries on that scheme's lists,
        from one read of the credit file."""
        records = self.store.records_for(subject)
        result = score_subject(scheme, subject, records, at, known_at, review_holds())
        entries, _ = list_entries(
            scheme,
            subject,
            records,
            at,
            known_at,
            age_on=age_on,
            score=result.score,
            grade=result.grade,
        )
        return result, entries

    def gates(self) -> dict[str, str]:
        return gates_of(self.memoranda)

    def check(
        self, gate: str, subject: str, at: datetime, known_at: datetime | None = None
    ) -> Decision:
        gates = self.gates()
        if gate not in gates:
            raise UnknownGate(
                f"no gate {gate!r} in the memoranda loaded{did_you_mean(gate, gates)}; known "
                f"gates: {', '.join(sorted(gates))}"
            )
        if any(m.binds_roles is not None for m in self.memoranda):
            records = self._file(subject)
            if linked_units(records):  # the live state holds no organisation's entries
                view = evaluate_subject(
                    self.schemes, subject, records, at, known_at, review_holds()
                )
                return check_gate(self.memoranda, view, gate)
        return check_gate(self.memoranda, self.view(subject, at, known_at), gate)
