"""Objections filed in the public role learn nothing (issue 12: only what is published is
learnable).

A public objection is answered ``202 Accepted`` with a receipt and the same words whether or
not the subject is listed, the record exists or is the subject's: the case is filed when the
target is real, and nothing says whether it was. The receipt is a random secret handed only to
the objector; it is what withdraws the objection (``POST /v1/objections/withdrawal``, the
portal's withdraw form), again with one answer whatever happened. The same objection (subject,
target, client address) filed again on the same day (China time) files nothing new: it gets a
receipt of its own for the case already filed. Each filing and withdrawal is in the access log
with the client address.

Receipts are kept in the store's journal (table ``public_receipts``, append-only), as their
SHA-256 digest with the filing and its case: they survive a restart, are shared by every
server process on the store, and reading the table does not let anyone withdraw.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
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


#: One public filing at a time in this process: the check for an earlier filing and the
#: filing itself do not interleave (two servers may still both file the same objection).
_filing = threading.Lock()


def _digest(receipt: str) -> str:
    return hashlib.sha256(receipt.encode()).hexdigest()


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def file_public(
    svc: Services,
    client: str,
    subject: str,
    kind: str,
    target: str,
    reason: str,
    contact: str | None,
) -> dict[str, Any]:
    """File a public objection if its target is real; the same answer either way."""
    filing = (china_date(now()).isoformat(), client, subject, kind, target)
    receipt = "rcp-" + secrets.token_urlsafe(18)
    with _filing:
        seen, case_id = svc.journal.public_filing(filing)
        what = "public objection repeated (nothing new filed)" if seen else "public objection filed"
        svc.journal.log([Access("public", f"public {client}", subject, "objection", what)])
        if not seen:
            try:
                case = svc.desk.file(subject, kind, target, reason, "public", contact=contact)  # type: ignore[arg-type]
            except XinyongError:
                pass  # no such target: nothing filed, and nothing said
            else:
                case_id = case.id
        svc.journal.add_receipt(_digest(receipt), filing, case_id)
    return {"receipt": receipt, "status": "received", "message": RECEIVED}


def withdraw_public(svc: Services, client: str, receipt: str, reason: str) -> dict[str, Any]:
    """Withdraw the objection a receipt names, if it can be; the same answer either way."""
    case_id = svc.journal.receipt_case(_digest(receipt)) if len(receipt) <= 100 else None
    if case_id is not None:
        try:
            case = svc.desk.withdraw(case_id, "public", reason=reason)
        except XinyongError:
            pass
        else:
            what = "public objection withdrawn"
            svc.journal.log([Access("public", f"public {client}", case.subject, "objection", what)])
    return {"status": "received", "message": WITHDRAWAL_RECEIVED}
