"""Credit repair and publication over a store: the thin layer the CLI and HTTP share.

:func:`repair` reads the subject's credit file, lets the pure core decide
(:func:`xinyong.core.repair.decide_repair`) and, when the repair is granted and ``record``
is true, appends the decision as an expiry record (append-only: nothing is deleted).
:func:`publications` says which of a subject's records are published at a moment, and why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from xinyong.core.errors import XinyongError
from xinyong.core.evaluate import evaluate_subject
from xinyong.core.publication import Publication, publication_of
from xinyong.core.records import Record, resolve
from xinyong.core.repair import (
    RepairDecision,
    RepairRequest,
    decide_repair,
    entry_not_repairable,
    record_of_entry,
)
from xinyong.core.scoring.engine import AnyScheme
from xinyong.system.admission import ingest_records
from xinyong.system.catalogue import catalogue
from xinyong.system.record_store import RecordStore

REPAIR_SOURCE = "credit-repair"
"""``source`` of the repair records xinyong appends (the body deciding repairs)."""


class RepairTargetError(XinyongError):
    """A repair names a list entry that is not there or does not rest on one record."""


def record_for_entry(
    schemes: Mapping[str, AnyScheme],
    subject: str,
    records: Sequence[Record],
    list_ref: str,
    at: datetime,
) -> str:
    """The record a subject's entry on ``scheme/list`` (in force at ``at``) rests on."""
    scheme, _, list_id = list_ref.strip().partition("/")
    if not scheme or not list_id:
        raise RepairTargetError(f"list {list_ref!r} must be written scheme/list")
    view = evaluate_subject({k: v for k, v in schemes.items() if k == scheme}, subject, records, at)
    hits = [e for e in view.in_force() if e.list_id == list_id]
    if not hits:
        raise RepairTargetError(
            f"subject {subject} is not on list {list_ref} at {at.date()}; name a list entry in "
            "force, or the record itself"
        )
    rid = record_of_entry(hits[0])
    if rid is None:
        raise RepairTargetError(entry_not_repairable(hits[0]))
    return rid


def repair(
    store: RecordStore, request: RepairRequest, decided_at: datetime, *, record: bool
) -> tuple[RepairDecision, Record | None]:
    """Decide ``request`` on the stored file; append the repair record if granted and
    ``record``. Returns the decision and the record appended (or that would be)."""
    cat = catalogue()
    records = store.records_for(request.subject)
    decision = decide_repair(
        request, records, cat.publication_classes(), cat.publication, decided_at
    )
    if not decision.granted:
        return decision, None
    rec = decision.repair_record(source=REPAIR_SOURCE)
    if record:
        ingest_records(store, [rec], known_categories=cat.categories)
    return decision, rec


def publications(
    records: Sequence[Record], at: datetime, known_at: datetime | None = None
) -> list[Publication]:
    """Every record of ``records`` under the publication rules that occurred by ``at``, as
    the store held them at ``known_at`` (``None``: the latest knowledge)."""
    cat = catalogue()
    classes = cat.publication_classes()
    effective, _ = resolve(records, known_at)
    return [
        publication_of(e, classes[e.record.category], cat.publication)
        for e in effective
        if e.record.category in classes and e.record.occurred_at <= at
    ]
