"""Objections filed in the public role learn nothing (issue 12: only what is published is
learnable).

A public objection is answered ``202 Accepted`` with a receipt and the same words whether or
not the subject is listed, the record exists or is the subject's: the case is filed when the
target is real, and nothing says whether it was. The receipt is a random secret handed only to
the objector; it is what withdraws the objection (``POST /v1/objections/withdrawal``, the
portal's withdraw form), again with one answer whatever happened. The same objection (subject,
target, client address) filed again on the same day (China time) gets the same receipt and
files nothing new. Each filing and withdrawal is in the access log with the client address.

Receipts live in the server's memory: a restart forgets them (a public objection can then be
withdrawn only by the deciding body, on the subject's request), and duplicates are recognised
within one server process.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from xinyong.adapters.journal import Access
from xinyong.core.errors import XinyongError
from xinyong.core.timeutil import now
from xinyong.core.workdays import china_date
from xinyong.drivers.http.context import Services

RECEIVED = (
    "Your objection is received. If it names a list entry or a record of this subject, it is "
    "now a case before the body that decides it, which must answer within the deadline of its "
    "rule; the subject is told of the outcome in their notices and can follow the case with "
    "their key. Keep the receipt: it is the only way to withdraw this objection."
)
WITHDRAWAL_RECEIVED = (
    "If this receipt belongs to an objection not yet ruled on, the objection is withdrawn."
)
_DAYS_KEPT = 2


@dataclass
class Receipts:
    """Receipts of public objections: who filed what today, and which case each names."""

    _seen: dict[tuple[str, ...], str] = field(default_factory=dict)
    _cases: dict[str, str | None] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self, key: tuple[str, ...]) -> tuple[str, bool]:
        """The receipt for ``key`` (day first) and whether it is new."""
        with self._lock:
            if key in self._seen:
                return self._seen[key], False
            days = sorted({k[0] for k in self._seen})
            for old in days[:-_DAYS_KEPT]:
                for k in [k for k in self._seen if k[0] == old]:
                    del self._seen[k]
            receipt = "rcp-" + secrets.token_urlsafe(18)
            self._seen[key] = receipt
            self._cases[receipt] = None
            return receipt, True

    def attach(self, receipt: str, case_id: str) -> None:
        with self._lock:
            self._cases[receipt] = case_id

    def case_of(self, receipt: str) -> str | None:
        with self._lock:
            return self._cases.get(receipt)


def receipts(request: Request) -> Receipts:
    state = request.app.state
    if not hasattr(state, "public_receipts"):
        state.public_receipts = Receipts()
    got: Receipts = state.public_receipts
    return got


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def file_public(
    svc: Services,
    book: Receipts,
    client: str,
    subject: str,
    kind: str,
    target: str,
    reason: str,
    contact: str | None,
) -> dict[str, Any]:
    """File a public objection if its target is real; the same answer either way."""
    day = china_date(now()).isoformat()
    receipt, new = book.issue((day, client, subject, kind, target))
    what = "public objection filed" if new else "public objection repeated (same receipt)"
    svc.journal.log([Access("public", f"public {client}", subject, "objection", what)])
    if new:
        try:
            case = svc.desk.file(subject, kind, target, reason, "public", contact=contact)  # type: ignore[arg-type]
        except XinyongError:
            pass  # no such target: nothing filed, and nothing said
        else:
            book.attach(receipt, case.id)
    return {"receipt": receipt, "status": "received", "message": RECEIVED}


def withdraw_public(
    svc: Services, book: Receipts, client: str, receipt: str, reason: str
) -> dict[str, Any]:
    """Withdraw the objection a receipt names, if it can be; the same answer either way."""
    case_id = book.case_of(receipt)
    if case_id is not None:
        try:
            case = svc.desk.withdraw(case_id, "public", reason=reason)
        except XinyongError:
            pass
        else:
            what = "public objection withdrawn"
            svc.journal.log([Access("public", f"public {client}", case.subject, "objection", what)])
    return {"status": "received", "message": WITHDRAWAL_RECEIVED}
