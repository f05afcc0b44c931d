"""GET /v1/subjects/{code}/notices: the notices of adverse changes sent to a subject.

The subject reads its own notices; an operator reads any subject's. Every read is logged.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from xinyong.drivers.http.context import Svc, access, code, require
from xinyong.drivers.http.errors import Forbidden
from xinyong.system.principals import Principal, Role

router = APIRouter(prefix="/v1/subjects", tags=["notices"])


@router.get("/{subject}/notices", summary="Notices of adverse changes (the subject or operator)")
def get_notices(
    subject: str,
    svc: Svc,
    who: Annotated[Principal, Depends(require(Role.SUBJECT, Role.OPERATOR))],
) -> dict[str, Any]:
    wanted = code(subject)
    if who.role is Role.SUBJECT and who.subject != wanted:
        raise Forbidden(f"a subject key may read only its own notices ({who.subject})")
    svc.journal.log([access(who, wanted, "reading notices", "notices")])
    return {"subject": wanted, "notices": svc.desk.notices_of(wanted)}
