"""One entry point for any credit code: :func:`check` tells what kind it is and whether it
is valid, and explains what is wrong and where.

How the kind is decided, after normalising (strip, upper case):

* 15 digits: a first-generation resident number (invalid: it must be converted);
* 18 characters of which the first 17 are digits and the last is a digit or X: the code
  could be either kind (USCCs can be all digits). It is read both ways; the reading that
  is valid wins; if both are (a coincidence of check characters), the resident reading
  wins unless the code starts with 9 (market-regulation USCCs are far more common than
  foreigners' permanent residence IDs), and the reason notes the ambiguity; if neither
  is valid, the reading with fewer problems wins, and a tie gives kind None with both
  explanations;
* any other 18-character code: an organisation code (resident numbers have no letters
  other than a final X);
* anything else: kind None.

A code on the allow-list (shipped ``pilot_codes.txt`` plus ``allow``) is read as an
organisation code and is valid if it has 18 symbols of the GB 32100 alphabet whatever its
check characters say; its reason then states what the allow-list overrode.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from xinyong.core.codes.organisation import (
    ALPHABET,
    organisation_problems,
    shipped_allow_list,
)
from xinyong.core.codes.resident import FOREIGN_PERMANENT_RESIDENT_MARK, resident_problems

__all__ = ["CodeCheck", "Kind", "check", "check_organisation", "check_resident", "normalise"]

Kind = Literal["resident", "organisation"]


@dataclass(frozen=True, slots=True)
class CodeCheck:
    """The verdict on one code.

    ``reason`` is None for a valid code, except for an allow-listed code that does not
    conform, where it says what was overridden, and for a code valid as both kinds, where
    it notes the ambiguity.
    """

    code: str
    kind: Kind | None
    valid: bool
    reason: str | None
    fields: dict[str, object] = field(default_factory=dict)

    def to_json_dict(self) -> dict[str, object]:
        """``{"code", "kind", "valid", "reason", **fields}`` in that order."""
        out: dict[str, object] = {
            "code": self.code,
            "kind": self.kind,
            "valid": self.valid,
            "reason": self.reason,
        }
        for key, value in self.fields.items():
            out.setdefault(key, value)
        return out


def normalise(code: str) -> str:
    """Strip surrounding whitespace and upper-case."""
    return code.strip().upper()


def _join(problems: list[str]) -> str | None:
    return "; ".join(problems) if problems else None


def _resident(code: str, day: date) -> tuple[CodeCheck, int]:
    problems, fields = resident_problems(code, today=day)
    return CodeCheck(code, "resident", not problems, _join(problems), fields), len(problems)


def _organisation(code: str, allowed: bool) -> tuple[CodeCheck, int]:
    problems, fields = organisation_problems(code)
    structural = len(code) != 18 or any(c not in ALPHABET for c in code)
    allow_listed = allowed and not structural
    if fields:
        fields["allow_listed"] = allow_listed
    if allow_listed and problems:
        reason = "accepted by the allow-list of known pilot codes despite: " + "; ".join(problems)
        return CodeCheck(code, "organisation", True, reason, fields), len(problems)
    valid = allow_listed or not problems
    return CodeCheck(code, "organisation", valid, _join(problems), fields), len(problems)


def _allowed(code: str, allow: Iterable[str]) -> bool:
    return code in shipped_allow_list() or code in {normalise(a) for a in allow}


def check_resident(code: str, *, today: date | None = None) -> CodeCheck:
    """Check ``code`` as a resident identity number (GB 11643-1999) only."""
    return _resident(normalise(code), today or date.today())[0]


def check_organisation(code: str, *, allow: Iterable[str] = ()) -> CodeCheck:
    """Check ``code`` as a unified social credit code (GB 32100-2015) only.

    ``allow`` adds codes to the shipped allow-list of known non-conforming pilot codes.
    """
    code = normalise(code)
    return _organisation(code, _allowed(code, allow))[0]


def _both_valid(resident: CodeCheck, organisation: CodeCheck) -> CodeCheck:
    """Both readings conform (about 1 in 341 valid all-digit codes). A leading 9 is far more
    often a market-regulation USCC than a foreigner's permanent residence ID; otherwise a
    citizen's number is assumed. The reason says so."""
    if resident.code.startswith(FOREIGN_PERMANENT_RESIDENT_MARK):
        chosen, other = organisation, "resident identity number"
    else:
        chosen, other = resident, "unified social credit code"
    note = f"ambiguous: also a valid {other}; read as the more likely kind"
    return CodeCheck(chosen.code, chosen.kind, True, note, chosen.fields)


def check(code: str, *, allow: Iterable[str] = (), today: date | None = None) -> CodeCheck:
    """Check a resident identity number or a unified social credit code.

    ``allow``: extra allow-listed organisation codes (added to the shipped list).
    ``today``: the date birth dates may not be after (default: the system date).
    """
    code = normalise(code)
    day = today or date.today()
    if _allowed(code, allow):
        return _organisation(code, True)[0]
    if len(code) == 15 and code.isascii() and code.isdigit():
        return _resident(code, day)[0]
    if len(code) != 18:
        return CodeCheck(
            code,
            None,
            False,
            f"has {len(code)} characters; a resident identity number or a unified social "
            "credit code has 18 (a first-generation resident number has 15 digits)",
        )
    could_be_resident = code[:17].isascii() and code[:17].isdigit() and code[17] in "0123456789X"
    if not could_be_resident:
        organisation, n_organisation = _organisation(code, False)
        if organisation.valid or not (code[:17].isascii() and code[:17].isdigit()):
            return organisation
        # 17 digits and a last character no resident number has ('Y'): a resident number
        # mistyped in its check character reads better as one, if it has fewer faults so
        _, n_digits = _resident(code[:17] + "0", day)
        return _resident(code, day)[0] if n_digits < n_organisation else organisation
    resident, n_resident = _resident(code, day)
    organisation, n_organisation = _organisation(code, False)
    if resident.valid and organisation.valid:
        return _both_valid(resident, organisation)
    if resident.valid:
        return resident
    if organisation.valid:
        return organisation
    if n_resident != n_organisation:
        return resident if n_resident < n_organisation else organisation
    return CodeCheck(
        code,
        None,
        False,
        f"as a resident identity number: {resident.reason}; "
        f"as a unified social credit code: {organisation.reason}",
    )
