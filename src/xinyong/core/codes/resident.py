"""Resident identity numbers (公民身份号码, GB 11643-1999): a person's credit code.

Layout of the 18 characters (positions are 1-based, as in the standard)::

    1-6    address code: administrative division (GB/T 2260) where the number was issued
    7-14   birth date YYYYMMDD
    15-17  sequence code: order among people with the same address code and birth date;
           odd for men, even for women
    18     check character, ISO 7064 MOD 11-2 over positions 1-17

The check character: weights ``2**(18-i) mod 11`` for positions i = 1..17 (7, 9, 10, 5, 8,
4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2); the weighted digit sum ``S`` gives the check value
``(12 - S mod 11) mod 11``, written ``X`` for 10 (so remainders 0..10 map to
1, 0, X, 9, 8, 7, 6, 5, 4, 3, 2). Because every weight is non-zero modulo the prime 11,
changing any one digit changes ``S mod 11``: **every single substitution is detected**.
Because neighbouring weights satisfy ``w[i] = 2 * w[i+1] (mod 11)``, swapping two
different adjacent characters changes ``S`` by ``(a - b) * w[i+1] != 0 (mod 11)``:
**every adjacent transposition is detected** (including one with the check character,
whose own weight in the ISO 7064 sum is 1).

What this module enforces, and why it is not stricter than the standard:

* the address code need not be in the division table (codes are retired and reassigned,
  and numbers keep the code of their first issue); only its first two digits must be a
  province-level prefix. Accepted prefixes: those of GB/T 2260 (11-15, 21-23, 31-37,
  41-46, 50-54, 61-65, 71 Taiwan, 81 Hong Kong, 82 Macao) plus 83, used by residence
  permits for Taiwan residents (2018). A first digit ``9`` is also accepted: since
  2023-12-01 the foreigner's permanent residence ID uses this same layout and check with
  the leading 9 as its marker (its positions 1-6 are then not a division code and
  ``region_name`` is null).
* the birth date must be a real calendar date, not before 1800-01-01 and not after
  ``today``.
* the first-generation 15-digit numbers (two-digit year, no check character) are not
  valid 18-character codes; :func:`convert_15_to_18` converts them.

stdnum's ``stdnum.cn.ric`` rejects numbers whose address code is not in its table for the
birth year, which is stricter than the standard; its birth-date parsing and table are
reused, its strictness is not.
"""

from __future__ import annotations

from datetime import date

from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from xinyong.core.codes.regions import province_name, region_name

__all__ = [
    "CHECK_CHARS",
    "EARLIEST_BIRTH",
    "EXTRA_PROVINCE_PREFIXES",
    "FOREIGN_PERMANENT_RESIDENT_MARK",
    "WEIGHTS",
    "age_on",
    "birth_date",
    "convert_15_to_18",
    "known_province_prefix",
    "resident_check_char",
    "resident_problems",
    "sex",
]

WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7, 9, 10, 5, 8, 4, 2, 1, 6, ...
CHECK_CHARS = "10X98765432"  # indexed by the weighted sum mod 11
EARLIEST_BIRTH = date(1800, 1, 1)
# Prefixes in use that GB/T 2260 does not list as provinces (see module docstring).
EXTRA_PROVINCE_PREFIXES = frozenset({"83"})
FOREIGN_PERMANENT_RESIDENT_MARK = "9"


def resident_check_char(body: str) -> str:
    """The MOD 11-2 check character for the first 17 digits of ``body``.

    >>> resident_check_char("11010519491231002")
    'X'
    """
    digits = body[:17]
    if len(digits) != 17 or not digits.isascii() or not digits.isdigit():
        raise ValueError(f"need 17 digits to compute a check character, got {body[:17]!r}")
    total = sum(int(d) * w for d, w in zip(digits, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def known_province_prefix(code: str) -> bool:
    """True when the first two digits are an accepted province-level prefix."""
    prefix = code[:2]
    return province_name(prefix) is not None or prefix in EXTRA_PROVINCE_PREFIXES


def _require_18(code: str) -> str:
    code = code.strip().upper()
    if len(code) != 18 or not code[:14].isascii() or not code[:14].isdigit():
        raise ValueError(f"{code!r} is not an 18-character resident identity number")
    return code


def birth_date(code: str) -> date:
    """Birth date (positions 7-14). Raises ValueError when it is not a real date."""
    code = _require_18(code)
    try:
        return ric.get_birth_date(code)
    except ValidationError:  # stdnum's InvalidComponent
        raise ValueError(f"birth date {code[6:14]} at positions 7-14 is not a real date") from None


def sex(code: str) -> str:
    """``"male"`` when the sequence code (positions 15-17) is odd, ``"female"`` when even."""
    code = code.strip().upper()
    if len(code) != 18 or not code[14:17].isascii() or not code[14:17].isdigit():
        raise ValueError(f"{code!r} is not an 18-character resident identity number")
    return "male" if int(code[14:17]) % 2 == 1 else "female"


def age_on(code: str, day: date) -> int:
    """Age in whole years on ``day`` (a person born on 29 February ages on 1 March in
    common years). Raises ValueError when ``day`` is before the birth date."""
    born = birth_date(code)
    if day < born:
        raise ValueError(f"{day.isoformat()} is before the birth date {born.isoformat()}")
    return years_between(born, day)


def years_between(born: date, day: date) -> int:
    """Whole years from ``born`` to ``day`` (negative before the birth date): the one age
    formula (a person born on 29 February ages on 1 March in common years)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def convert_15_to_18(code: str, *, century: str = "19") -> str:
    """Convert a first-generation 15-digit number to the 18-character form.

    The 15-digit layout is address (6), birth date YYMMDD (6), sequence (3), with no check
    character. Conversion inserts the century before the two-digit year and appends the
    MOD 11-2 check character. The 15-digit numbers (issued from 1984) do not say the
    century: ``"19"`` is the default; pass ``century="18"`` for a person known to be born
    before 1900.
    """
    code = code.strip()
    if len(code) != 15 or not code.isascii() or not code.isdigit():
        raise ValueError(f"{code!r} is not a 15-digit first-generation identity number")
    if century not in {"18", "19", "20"}:
        raise ValueError(f"century must be '18', '19' or '20', got {century!r}")
    body = code[:6] + century + code[6:15]
    return body + resident_check_char(body)


def resident_problems(code: str, *, today: date) -> tuple[list[str], dict[str, object]]:
    """Everything wrong with ``code`` read as a resident identity number, and its fields.

    ``code`` must already be normalised (stripped, upper case). Returns
    ``(problems, fields)``: an empty problem list means valid. Fields are filled in as far
    as the code can be read: region, region_name, birth_date, sex, sequence.
    """
    problems: list[str] = []
    fields: dict[str, object] = {}
    if len(code) == 15 and code.isascii() and code.isdigit():
        problems.append(
            "15-digit first-generation identity number: it must be converted to the "
            "18-character form (century added to the birth year and a check character "
            f"appended); assuming birth in the 1900s it is {convert_15_to_18(code)}"
        )
        return problems, fields
    if len(code) != 18:
        problems.append(
            f"has {len(code)} characters; a resident identity number has 18 "
            "(or 15 for a first-generation number)"
        )
        return problems, fields
    for i, ch in enumerate(code[:17], start=1):
        if not ("0" <= ch <= "9"):
            problems.append(f"character {ch!r} at position {i} is not a digit (positions 1-17)")
    if code[17] not in "0123456789X":
        problems.append(f"check character at position 18 is {code[17]!r}; it must be 0-9 or X")
    if problems:
        return problems, fields

    region = code[:6]
    fields["region"] = region
    born: date | None = None
    try:
        born = birth_date(code)
    except ValueError as e:
        problems.append(str(e))
    foreign = code[0] == FOREIGN_PERMANENT_RESIDENT_MARK
    if foreign:
        fields["region_name"] = None
    else:
        if not known_province_prefix(code):
            problems.append(
                f"address code {region} at positions 1-6 starts with {code[:2]}, "
                "which is not a province-level division code"
            )
        fields["region_name"] = region_name(region, born.year if born else None)
    if born is not None:
        fields["birth_date"] = born.isoformat()
        if born < EARLIEST_BIRTH:
            problems.append(
                f"birth date {code[6:14]} at positions 7-14 is before {EARLIEST_BIRTH.isoformat()}"
            )
        elif born > today:
            problems.append(
                f"birth date {code[6:14]} at positions 7-14 is in the future "
                f"(after {today.isoformat()})"
            )
    else:
        fields["birth_date"] = None
    fields["sex"] = sex(code)
    fields["sequence"] = code[14:17]
    expected = resident_check_char(code)
    if code[17] != expected:
        problems.append(f"check character at position 18 is {code[17]!r}, expected {expected!r}")
    return problems, fields
