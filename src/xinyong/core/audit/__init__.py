"""The legality and proportionality audit of schemes and memoranda (``xinyong audit``).

Profiles (data, one file per legal order) name rules; each rule runs one *check*, a small
pure function over the loaded schemes, memoranda and catalogue facts (:mod:`.context`), and
every hit becomes a :class:`~.findings.Finding` carrying the rule's article, quote, source,
confidence mark and fix. See docs/audit.md.
"""

from xinyong.core.audit.context import AuditContext, AuditError, CategoryFacts, MemoDoc, SchemeDoc
from xinyong.core.audit.findings import SEVERITIES, Finding, Hit, at_or_above, summary
from xinyong.core.audit.profile import Profile, ProfileRule, parse_profile
from xinyong.core.audit.run import CHECKS, audit

__all__ = [
    "CHECKS",
    "SEVERITIES",
    "AuditContext",
    "AuditError",
    "CategoryFacts",
    "Finding",
    "Hit",
    "MemoDoc",
    "Profile",
    "ProfileRule",
    "SchemeDoc",
    "at_or_above",
    "audit",
    "parse_profile",
    "summary",
]
