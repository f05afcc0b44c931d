"""What an upheld objection does to the credit file: correcting records.

A remedy names one record of the subject and either revokes it (the record should never have
been made: it is void, as if never made) or corrects it (``changes`` to its content). The
result is a ``revocation`` or ``correction`` record (see :mod:`xinyong.core.records`) whose id
and source carry the objection case id, recorded at the decision: everything computed with
``known_at`` before the decision still shows the old answer, everything after the corrected
one, for past moments too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from xinyong.core.errors import InvalidRecord, XinyongError
from xinyong.core.objection_rules import ObjectionRule
from xinyong.core.records import FIELDS, Record, Status
from xinyong.core.timeutil import iso
from xinyong.core.workdays import china_date

ACTIONS = ("revoke", "correct")
CORRECTABLE = ("category", "occurred_at", "evidence", "amount", "severity", "details")


class BadRemedy(XinyongError):
    """A remedy that cannot be applied to the record it names."""


@dataclass(frozen=True, slots=True)
class Remedy:
    action: Literal["revoke", "correct"]
    record: str
    changes: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "record": self.record, "changes": dict(self.changes)}


def parse_remedy(raw: Mapping[str, Any]) -> Remedy:
    unknown = sorted(set(raw) - {"action", "record", "changes"})
    if unknown:
        raise BadRemedy(
            f"remedy: unknown key(s) {', '.join(unknown)}; allowed: action, record, changes"
        )
    action, record = raw.get("action"), raw.get("record")
    if action not in ACTIONS:
        raise BadRemedy(f"remedy.action must be one of {', '.join(ACTIONS)}, got {action!r}")
    if not isinstance(record, str) or not record.strip():
        raise BadRemedy("remedy.record must name the id of the wrong record")
    changes = raw.get("changes") or {}
    if not isinstance(changes, Mapping):
        raise BadRemedy("remedy.changes must map field names to corrected values")
    if action == "revoke" and changes:
        raise BadRemedy("a revocation takes no changes (the record is void as a whole)")
    if action == "correct":
        if not changes:
            raise BadRemedy(
                f"a correction needs changes, e.g. {{'amount': 0}}; correctable: "
                f"{', '.join(CORRECTABLE)}"
            )
        bad = sorted(set(changes) - set(CORRECTABLE))
        if bad:
            raise BadRemedy(
                f"remedy.changes: {', '.join(bad)} cannot be corrected; correctable: "
                f"{', '.join(CORRECTABLE)}"
            )
    return Remedy(action, record.strip(), dict(changes))


def correcting_record(
    case_id: str,
    stage: str,
    remedy: Remedy,
    original: Record,
    decided_at: datetime,
    rule: ObjectionRule,
    reasons: str,
) -> Record:
    """The record that carries out ``remedy`` on ``original``, recorded at ``decided_at``."""
    if original.id != remedy.record:
        raise BadRemedy(f"remedy names {remedy.record!r} but record {original.id!r} was given")
    if original.status is not Status.ACTIVE:
        raise BadRemedy(
            f"record {original.id!r} is itself a {original.status.value}; name the original "
            "record it refers to"
        )
    basis = (
        f"objection {case_id} upheld on {china_date(decided_at).isoformat()} "
        f"({rule.deciding_body}; {rule.legal_basis}): {reasons}"
    )
    content = original.to_dict()
    content.update(
        id=f"{case_id}-{stage}-{remedy.action}",
        recorded_at=iso(decided_at),
        source=f"objection {case_id}",
        refers_to=original.id,
    )
    if remedy.action == "revoke":
        content.update(
            status=Status.REVOCATION.value, legal_basis=basis, evidence=f"objection {case_id}"
        )
    else:
        content.update(status=Status.CORRECTION.value)
        for k, v in remedy.changes.items():
            content[k] = v.isoformat() if isinstance(v, date) else v
    try:
        return Record.from_dict({k: v for k, v in content.items() if k in FIELDS})
    except InvalidRecord as e:
        raise BadRemedy(f"the correction of {original.id!r} is not a valid record: {e}") from None
