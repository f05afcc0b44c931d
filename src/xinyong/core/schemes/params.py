"""Values with provenance: every number in a scheme can say how sure we are of it.

In a scheme file a value is either a bare integer (its confidence is the scheme's
``default_confidence``) or a table ``{ value = -5, confidence = "U", source = "ref-id",
note = "..." }``. Confidence marks follow the project's reference: V read in the primary
text, S secondary sources agree, U uncertain (kept as a parameter, flagged in metadata).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, StrictInt

from xinyong.core.timeutil import Duration

Confidence = Literal["V", "S", "U"]


class Strict(BaseModel):
    """Base for every scheme model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class Param(Strict):
    value: StrictInt
    confidence: Confidence | None = None
    source: str | None = None
    note: str | None = None

    def __int__(self) -> int:
        return self.value


def _param(v: Any) -> Any:
    if isinstance(v, int) and not isinstance(v, bool):
        return {"value": v}
    if isinstance(v, dict | Param):
        return v
    raise ValueError(
        f'expected an integer or a table {{ value = N, confidence = "V"|"S"|"U", '
        f'source = "id", note = "..." }}, got {v!r}'
    )


IntParam = Annotated[Param, BeforeValidator(_param)]


def _duration(v: Any) -> Any:
    if isinstance(v, Duration):
        return v
    if not isinstance(v, str):
        raise ValueError("a duration is text such as '2y', '6mo' or '30d'")
    return Duration.parse(v)


DurationField = Annotated[
    Duration, BeforeValidator(_duration), PlainSerializer(lambda d: str(d), return_type=str)
]
