"""Findings: what the audit found, where, why it matters, the article it rests on, the fix."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["low", "medium", "high"]
SEVERITIES: tuple[Severity, ...] = ("low", "medium", "high")


def rank(severity: str) -> int:
    return SEVERITIES.index(severity)


@dataclass(frozen=True, slots=True)
class Hit:
    """What one check found at one place: the raw material of a finding."""

    subject: str
    """The scheme or memorandum the place belongs to."""
    file: str
    key: str
    """Key path in the file, e.g. ``measures[1]`` or ``versions[0].lists[1]``."""
    found: str
    path: tuple[str, ...] = ()
    """For a chain (a record category -> a threshold -> a list -> a measure): its steps."""


@dataclass(frozen=True, slots=True)
class Finding:
    profile: str
    rule: str
    severity: Severity
    hit: Hit
    why: str
    article: str
    quote: str
    source: str
    """Title of the text the rule rests on."""
    source_url: str
    confidence: str
    fix: str

    @property
    def id(self) -> str:
        """Stable id: ``profile.rule@subject:key`` (what golden files list)."""
        return f"{self.profile}.{self.rule}@{self.hit.subject}:{self.hit.key}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "profile": self.profile,
            "rule": self.rule,
            "severity": self.severity,
            "subject": self.hit.subject,
            "file": self.hit.file,
            "key": self.hit.key,
            "found": self.hit.found,
            "path": list(self.hit.path),
            "why": self.why,
            "article": self.article,
            "quote": self.quote,
            "source": self.source,
            "source_url": self.source_url,
            "confidence": self.confidence,
            "fix": self.fix,
        }


def at_or_above(findings: Iterable[Finding], severity: str) -> list[Finding]:
    return [f for f in findings if rank(f.severity) >= rank(severity)]


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Most severe first, then by profile, subject and key; one finding per id."""
    unique = {f.id: f for f in findings}
    return sorted(
        unique.values(), key=lambda f: (-rank(f.severity), f.profile, f.hit.subject, f.id)
    )


def summary(findings: Sequence[Finding]) -> dict[str, Any]:
    """Counts by severity and by profile, and the ids (what ``schemes show`` prints)."""
    return {
        "findings": len(findings),
        "by_severity": {s: sum(f.severity == s for f in findings) for s in reversed(SEVERITIES)},
        "by_profile": {
            p: sum(f.profile == p for f in findings) for p in sorted({f.profile for f in findings})
        },
        "ids": [f.id for f in findings],
    }
