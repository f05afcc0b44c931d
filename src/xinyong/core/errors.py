"""Domain errors. Every message says what was wrong, where, and what would be right."""

from __future__ import annotations


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
