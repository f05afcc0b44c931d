"""Domain errors. Every message says what was wrong, where, and what would be right."""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches


class XinyongError(Exception):
    """Base class for every error the engine raises on bad input."""


class InvalidRecord(XinyongError):
    """A record breaks a rule of the credit file (bad field, unknown reference, ...)."""

    def __init__(self, message: str, *, field: str | None = None, row: int | None = None) -> None:
        self.field = field
        self.row = row
        where = []
        if row is not None:
            where.append(f"row {row}")
        if field is not None:
            where.append(f"field {field!r}")
        prefix = (", ".join(where) + ": ") if where else ""
        super().__init__(prefix + message)
        self.reason = message


class RecordConflict(XinyongError):
    """The same record id was sent again with different content."""


class SchemeError(XinyongError):
    """A scheme or memorandum file is invalid."""


class UnknownSubject(XinyongError):
    """No such subject in the store."""


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest of ``choices`` to a mistyped ``name``, or
    ``""`` when none is close."""
    close = get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
