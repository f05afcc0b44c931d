"""Credit repair: ending the publication of a record early, after the minimum period.

A :class:`RepairRequest` names a published record (or a list entry caused by one) and brings
evidence. :func:`decide_repair` grants it when every condition holds, and otherwise refuses
it naming each condition that fails:

1. the record is in the subject's credit file (not revoked);
2. its category is published under the publication rules (other records, e.g. a court's
   listing, end by their list's removal events, not by credit repair);
3. it is published at all (a minor penalty under the 2026 measures is not) and its
   publication has not already ended;
4. the minimum publication period has been served when the request is filed;
5. the obligations are fulfilled (yes, with a reference to the proof: a receipt, a court's
   certificate);
6. a written commitment is given (yes, with its text).

A granted repair ends the publication at the decision. Nothing is deleted: the decision
is recorded as a new ``expiry`` record referring to the repaired record
(:meth:`RepairDecision.repair_record`), so the credit file stays append-only and the
repair itself is explained and contestable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from xinyong.core.lists import ListEntry
from xinyong.core.publication import Publication, PublicationClass, Regime, publication_of
from xinyong.core.records import Record, Status, resolve
from xinyong.core.timeutil import iso


@dataclass(frozen=True, slots=True)
class RepairRequest:
    """A subject's request to repair one record (``record_id``) of their credit file."""

    subject: str
    record_id: str
    filed_at: datetime
    obligations_fulfilled: bool = False
    obligations_reference: str = ""
    """Where the proof is (a payment receipt number, a court's certificate)."""
    commitment: bool = False
    commitment_text: str = ""
    """The written commitment, published with the repair."""


@dataclass(frozen=True, slots=True)
class RepairDecision:
    request: RepairRequest
    decided_at: datetime
    granted: bool
    reasons: list[str]
    """Why it was refused (one line per failing condition), or the conditions met."""
    publication: Publication | None = None
    legal_basis: str = ""
    conditions: dict[str, bool] = field(default_factory=dict)

    def repair_record(self, *, source: str, record_id: str | None = None) -> Record:
        """The append-only record of a granted repair: an expiry of the repaired record at the
        decision. ``source`` is the body that decided."""
        if not self.granted:
            raise ValueError("only a granted repair is recorded")
        q = self.request
        at = self.decided_at
        return Record(
            id=record_id or f"repair-{q.record_id}-{at.strftime('%Y%m%dT%H%M%S')}",
            subject=q.subject,
            category=self.publication.category if self.publication else "",
            occurred_at=at,
            recorded_at=at,
            source=source,
            legal_basis=f"credit repair under {self.legal_basis}",
            evidence=q.obligations_reference.strip(),
            status=Status.EXPIRY,
            refers_to=q.record_id,
            details={
                "repair": True,
                "filed_at": iso(q.filed_at),
                "obligations_reference": q.obligations_reference.strip(),
                "commitment": q.commitment_text.strip(),
            },
        )

    def to_dict(self) -> dict[str, Any]:
        q = self.request
        return {
            "subject": q.subject,
            "record_id": q.record_id,
            "filed_at": iso(q.filed_at),
            "decided_at": iso(self.decided_at),
            "decision": "granted" if self.granted else "refused",
            "reasons": self.reasons,
            "conditions": self.conditions,
            "legal_basis": self.legal_basis,
            "publication": self.publication.to_dict(self.decided_at) if self.publication else None,
        }


def record_of_entry(entry: ListEntry) -> str | None:
    """The record a list entry rests on, or None (threshold, grade and score entries)."""
    rid = entry.cause.get("record_id") if entry.cause.get("kind") == "record" else None
    return str(rid) if rid is not None else None


def entry_not_repairable(entry: ListEntry) -> str:
    return (
        f"list entry {entry.scheme}/{entry.list_id} since {iso(entry.since)[:10]} rests on "
        f"{entry.cause.get('kind')} conditions, not on one record; it ends by its term or its "
        "removal events, not by credit repair"
    )


def decide_repair(
    request: RepairRequest,
    records: Iterable[Record],
    classes: Mapping[str, PublicationClass],
    regimes: Sequence[Regime],
    decided_at: datetime,
) -> RepairDecision:
    """Grant or refuse ``request`` on the subject's ``records`` as known at ``decided_at``.

    ``classes`` maps each published category to its class; ``regimes`` are the publication
    rules (:mod:`xinyong.core.publication`).
    """
    q = request

    def refuse(*why: str, pub: Publication | None = None, basis: str = "") -> RepairDecision:
        return RepairDecision(q, decided_at, False, list(why), pub, basis)

    if q.filed_at > decided_at:
        return refuse(
            f"the request is filed on {iso(q.filed_at)[:10]}, after the decision "
            f"({iso(decided_at)[:10]}); decide a request only once it is filed"
        )
    effective, voided = resolve([r for r in records if r.subject == q.subject])
    found = next((e for e in effective if e.record.id == q.record_id), None)
    if found is None:
        why = f"no record {q.record_id!r} in the credit file of {q.subject}"
        if any(v.record.id == q.record_id for v in voided):
            why = f"record {q.record_id!r} was revoked; there is nothing to repair"
        return refuse(why)
    category = found.record.category
    cls = classes.get(category)
    if cls is None:
        return refuse(
            f"record {q.record_id} ({category}) is not published under the publication rules, "
            "so credit repair does not apply; a listing ends by its list's removal events"
        )
    pub = publication_of(found, cls, regimes)
    if not pub.published:
        return refuse(pub.explain(decided_at) + " There is nothing to repair.", pub=pub)
    assert pub.ends_at is not None
    assert pub.min_end is not None
    if pub.ends_at <= q.filed_at:
        return refuse(
            f"publication of record {q.record_id} already ended on {iso(pub.ends_at)[:10]} "
            f"({pub.ended_by}); there is nothing to repair",
            pub=pub,
            basis=pub.legal_basis,
        )
    conditions = {
        "minimum_period_served": q.filed_at >= pub.min_end,
        "obligations_fulfilled": q.obligations_fulfilled and bool(q.obligations_reference.strip()),
        "written_commitment": q.commitment and bool(q.commitment_text.strip()),
    }
    failing: list[str] = []
    if not conditions["minimum_period_served"]:
        failing.append(
            f"minimum publication period of {pub.min_period} ends {iso(pub.min_end)[:10]}; "
            f"request filed {iso(q.filed_at)[:10]}"
        )
    if not conditions["obligations_fulfilled"]:
        failing.append(
            "obligations not shown as fulfilled: say that every obligation of the decision "
            "is performed and give a reference to the proof (a receipt, a certificate)"
            if not q.obligations_fulfilled
            else "obligations fulfilled but no reference to the proof is given"
        )
    if not conditions["written_commitment"]:
        failing.append(
            "no written commitment: give a written commitment to keep the law (its text is "
            "published with the repair)"
            if not q.commitment
            else "commitment given but its text is empty"
        )
    if failing:
        return RepairDecision(q, decided_at, False, failing, pub, pub.legal_basis, conditions)
    met = [
        f"minimum publication period of {pub.min_period} ended {iso(pub.min_end)[:10]}",
        f"obligations fulfilled ({q.obligations_reference.strip()})",
        "written commitment given",
        f"publication of record {q.record_id} ends at the decision, {iso(decided_at)[:10]}, "
        f"instead of {iso(pub.ends_at)[:10]}",
    ]
    return RepairDecision(q, decided_at, True, met, pub, pub.legal_basis, conditions)
