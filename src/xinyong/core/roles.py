"""Roles a person holds in an organisation, as records about the person.

The Provisions on Restricting High Consumption (2015) art. 3 para. 2 bind, for an
organisation on the defaulter list, its legal representative, principal responsible
persons, persons directly responsible and actual controller: they may not make the
restricted purchases. The 2019 SPC opinion forbids *listing* them for the organisation's
default. So a role is never a list entry of the person: it is a record about the person
(category :data:`ROLE_CATEGORY`, e.g. from the business registry) saying they hold
``details.role`` in the organisation ``details.unit`` (its credit code) from the record's
``occurred_at``; the role ends with an expiry record referring to it (or is revoked).

A gate that binds roles (a memorandum's ``binds_roles``) then denies for the person while
both the role and the organisation's entry are in force, naming the organisation's entry,
the role record and the rule; the person's own lists stay empty.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from xinyong.core.records import Effective
from xinyong.core.timeutil import iso

ROLE_CATEGORY = "registry.role"
"""The catalogue category of a role record."""
ROLES = (
    "legal_representative",
    "principal_responsible",
    "directly_responsible",
    "actual_controller",
)
"""The roles art. 3 para. 2 names (``details.role``)."""


@dataclass(frozen=True, slots=True)
class RoleLink:
    """A role record in force: ``person`` holds ``role`` in ``unit`` from ``since``."""

    person: str
    unit: str
    role: str
    record_id: str
    since: datetime
    until: datetime | None
    legal_basis: str

    def in_force(self, at: datetime) -> bool:
        return self.since <= at and (self.until is None or at < self.until)

    def to_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "role": self.role,
            "record_id": self.record_id,
            "since": iso(self.since),
            "until": iso(self.until) if self.until else None,
            "record_basis": self.legal_basis,
        }


def role_links(effective: Iterable[Effective], at: datetime) -> list[RoleLink]:
    """The role records of a person in force at ``at`` (after corrections, expiries and
    revocations known; see :func:`xinyong.core.records.resolve`)."""
    out: list[RoleLink] = []
    for e in effective:
        r = e.record
        if r.category != ROLE_CATEGORY:
            continue
        unit, role = r.details.get("unit"), r.details.get("role")
        if not isinstance(unit, str) or role not in ROLES:
            continue
        link = RoleLink(r.subject, unit, str(role), r.id, r.occurred_at, e.ends_at, r.legal_basis)
        if link.in_force(at):
            out.append(link)
    return out


def role_problems(details: Any) -> list[tuple[str, str]]:
    """What is wrong with a role record's details (field, reason); empty when fine."""
    out: list[tuple[str, str]] = []
    if not isinstance(details.get("unit"), str) or not details.get("unit"):
        out.append(("details.unit", "must name the organisation's unified social credit code"))
    if details.get("role") not in ROLES:
        out.append(("details.role", f"must be one of {', '.join(ROLES)}"))
    return out
