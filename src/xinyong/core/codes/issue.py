"""Issuing credit codes for a synthetic population, reproducibly and fast.

Everything that draws is driven by a caller's :class:`numpy.random.Generator`, so the same
seed gives the same codes. The bulk issuers are vectorised: check characters are computed
over whole arrays (a Python loop runs over the 17 positions, never over codes), and they
issue millions of codes in seconds.

Resident identity numbers (GB 11643-1999) must be unique, so the 3-digit sequence code is
*allocated*, not drawn: within each (address code, birth date, sex) group the people get
distinct slots. A group's slots start at a random offset and are consecutive modulo 500,
so sequence codes look varied but never collide. Men get odd codes (001-999), women even
codes (000-998): 500 per sex per address code and day. More than that raises
:class:`SequenceCapacityError`.

Unified social credit codes (GB 32100-2015) get distinct random 8-character organisation
code bodies over the 31-symbol alphabet (31**8, about 8.5e11, possible bodies), then the
GB 11714 check character and the GB 32100 check character.

Issuing does not refuse future birth dates (a simulation may run ahead of the calendar),
but :func:`xinyong.core.codes.check` does, relative to its ``today``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from xinyong.core.codes.organisation import (
    ALPHABET,
    GB11714_WEIGHTS,
    USCC_WEIGHTS,
    gb11714_value,
    org_code_check_char,
    uscc_check_char,
)
from xinyong.core.codes.regions import county_codes
from xinyong.core.codes.resident import (
    CHECK_CHARS,
    EARLIEST_BIRTH,
    WEIGHTS,
    known_province_prefix,
    resident_check_char,
)
from xinyong.core.errors import XinyongError

__all__ = [
    "SEQUENCES_PER_SEX",
    "SequenceCapacityError",
    "issue_organisation_codes",
    "issue_resident_ids",
    "make_resident_id",
    "make_uscc",
    "random_regions",
]

SEQUENCES_PER_SEX = 500
_EARLIEST = np.datetime64(EARLIEST_BIRTH.isoformat(), "D")
_LATEST = np.datetime64("9999-12-31", "D")
_DAY_SHIFT = 70_000  # makes day numbers from 1800-01-01 (-62091) non-negative
_DAY_SPAN = 3_100_000  # more than the day numbers up to 9999-12-31 after the shift
_ASCII_ALPHABET = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)
_LATIN_VALUES = np.array([gb11714_value(c) for c in ALPHABET], dtype=np.uint8)
# GB 11714 check char as an alphabet index, by weighted sum mod 11 (11 - r; 10 -> X, 11 -> 0)
_GB11714_BY_REMAINDER = np.array(
    [ALPHABET.index({10: "X", 11: "0"}.get(11 - r, str(11 - r))) for r in range(11)],
    dtype=np.uint8,
)
_RESIDENT_CHECK_ASCII = np.frombuffer(CHECK_CHARS.encode("ascii"), dtype=np.uint8)


class SequenceCapacityError(XinyongError, ValueError):
    """More people of one sex share an address code and birth date than sequence codes
    exist for them."""


# ---------------------------------------------------------------------------- scalar


def make_resident_id(region: str, birth: date, sequence: int) -> str:
    """The resident identity number for these parts, with its check character.

    >>> make_resident_id("110105", date(1949, 12, 31), 2)
    '11010519491231002X'
    """
    if len(region) != 6 or not region.isascii() or not region.isdigit():
        raise ValueError(f"region must be 6 digits, got {region!r}")
    if not 0 <= sequence <= 999:
        raise ValueError(f"sequence must be 0-999, got {sequence}")
    if birth < EARLIEST_BIRTH:
        raise ValueError(f"birth date {birth.isoformat()} is before {EARLIEST_BIRTH}")
    body = f"{region}{birth.year:04d}{birth.month:02d}{birth.day:02d}{sequence:03d}"
    return body + resident_check_char(body)


def make_uscc(authority: str, org_type: str, region: str, org_body8: str) -> str:
    """The unified social credit code for these parts, with both check characters.

    Only lengths and the alphabet are enforced, so tests can build codes that break other
    rules (e.g. letters in the division code) but have correct check characters.

    >>> make_uscc("9", "1", "110000", "60003734")
    '91110000600037341L'
    """
    parts = {"authority": (authority, 1), "org_type": (org_type, 1), "region": (region, 6)}
    parts["org_body8"] = (org_body8, 8)
    for name, (value, length) in parts.items():
        if len(value) != length:
            raise ValueError(f"{name} must have {length} character(s), got {value!r}")
    body = authority + org_type + region + org_body8 + org_code_check_char(org_body8)
    return body + uscc_check_char(body)


# ----------------------------------------------------------------------------- helpers


def _ascii_rows_to_str(rows: npt.NDArray[np.uint8]) -> npt.NDArray[np.str_]:
    """(n, k) ASCII bytes -> (n,) array of str of length k."""
    width = rows.shape[1]
    out: npt.NDArray[np.str_] = (
        np.ascontiguousarray(rows).view(f"S{width}").ravel().astype(f"U{width}")
    )
    return out


def _weighted_sum(columns: npt.NDArray[np.uint8], weights: Sequence[int]) -> Any:
    """Row sums of ``columns[:, j] * weights[j]`` (column by column: integer matmul is not
    BLAS-accelerated and much slower)."""
    total = np.zeros(columns.shape[0], dtype=np.int32)
    for j, w in enumerate(weights):
        total += columns[:, j].astype(np.int32) * np.int32(w)
    return total


def _digit_columns(regions: npt.ArrayLike, n: int) -> npt.NDArray[np.uint8]:
    """Validate 6-digit region strings and return them as an (n, 6) array of digits."""
    arr = np.asarray(regions)
    if arr.dtype.kind not in "US":
        arr = arr.astype(str)
    arr = arr.astype("U")
    if arr.shape != (n,):
        raise ValueError(f"regions must have shape ({n},), got {arr.shape}")
    if n == 0:
        return np.zeros((0, 6), dtype=np.uint8)
    lengths = np.strings.str_len(arr)
    points = np.ascontiguousarray(arr.astype("U6")).view(np.uint32).reshape(n, 6)
    ok = (lengths == 6) & np.all((points >= ord("0")) & (points <= ord("9")), axis=1)
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        raise ValueError(f"regions[{i}] = {str(arr[i])!r} is not a 6-digit division code")
    return (points - ord("0")).astype(np.uint8)


def random_regions(rng: np.random.Generator, n: int) -> npt.NDArray[np.str_]:
    """``n`` county-level division codes currently in use, drawn uniformly with
    replacement (deterministic table order, so reproducible from ``rng``)."""
    codes = np.array(county_codes(), dtype="U6")
    picked: npt.NDArray[np.str_] = codes[rng.integers(0, len(codes), size=n)]
    return picked


# ---------------------------------------------------------------------------- residents


def _male_mask(sexes: npt.ArrayLike, n: int) -> npt.NDArray[np.bool_]:
    arr = np.asarray(sexes)
    if arr.shape != (n,):
        raise ValueError(f"sexes must have shape ({n},), got {arr.shape}")
    if arr.dtype == np.bool_:
        return arr
    if arr.dtype.kind in "US":
        male: npt.NDArray[np.bool_] = np.asarray(arr == "male", dtype=np.bool_)
        bad = ~(male | (arr == "female"))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"sexes[{i}] = {str(arr[i])!r}; use 'male'/'female' or booleans")
        return male
    raise ValueError(f"sexes must be booleans (True = male) or 'male'/'female', got {arr.dtype}")


def _check_capacity(
    group_sizes: npt.NDArray[np.int64],
    first_index: npt.NDArray[np.int64],
    regions: npt.NDArray[np.int64],
    dates: npt.NDArray[np.datetime64],
    male: npt.NDArray[np.bool_],
) -> None:
    over = np.flatnonzero(group_sizes > SEQUENCES_PER_SEX)
    if over.size == 0:
        return
    g = int(over[0])
    i = int(first_index[g])
    who = "men" if male[i] else "women"
    raise SequenceCapacityError(
        f"{int(group_sizes[g])} {who} born on {dates[i]} with address code "
        f"{int(regions[i]):06d}: a 3-digit sequence code allows at most {SEQUENCES_PER_SEX} "
        f"per sex per address code and day ({over.size} group(s) over capacity)"
    )


def issue_resident_ids(
    rng: np.random.Generator,
    regions: npt.ArrayLike,
    birth_dates: npt.ArrayLike,
    sexes: npt.ArrayLike,
) -> npt.NDArray[np.str_]:
    """Issue unique resident identity numbers, one per person.

    ``regions``: 6-digit address codes (str), whose first two digits must be a
    province-level prefix. ``birth_dates``: anything convertible to ``datetime64[D]``,
    from 1800-01-01. ``sexes``: booleans (True = male) or ``"male"``/``"female"``.
    Returns an array of 18-character str codes in input order. Raises ValueError on bad
    input and :class:`SequenceCapacityError` when a group needs more than 500 codes.
    """
    dates = np.asarray(birth_dates).astype("datetime64[D]")
    n = dates.shape[0] if dates.ndim == 1 else -1
    if dates.ndim != 1:
        raise ValueError(f"birth_dates must be one-dimensional, got shape {dates.shape}")
    digits = _digit_columns(regions, n)
    male = _male_mask(sexes, n)
    if n == 0:
        return np.zeros(0, dtype="U18")
    bad = np.isnat(dates) | (dates < _EARLIEST) | (dates > _LATEST)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"birth_dates[{i}] = {dates[i]} is not a date from {_EARLIEST}")
    region_int = np.zeros(n, dtype=np.int64)
    for j in range(6):
        region_int = region_int * 10 + digits[:, j]
    prefixes = np.unique(region_int // 10_000)
    unknown = [f"{p:02d}" for p in prefixes.tolist() if not known_province_prefix(f"{p:02d}")]
    if unknown:
        raise ValueError(f"region prefix(es) {', '.join(unknown)} are not province-level codes")

    # Allocate sequence codes: random order within each (region, date, sex) group.
    day = dates.astype(np.int64) + _DAY_SHIFT
    key = (region_int * _DAY_SPAN + day) * 2 + male
    perm = rng.permutation(n)
    order = perm[np.argsort(key[perm], kind="stable")]
    sorted_key = key[order]
    starts_mask = np.empty(n, dtype=bool)
    starts_mask[0] = True
    np.not_equal(sorted_key[1:], sorted_key[:-1], out=starts_mask[1:])
    starts = np.flatnonzero(starts_mask)
    group = np.cumsum(starts_mask) - 1
    rank = np.arange(n, dtype=np.int64) - starts[group]
    sizes = np.diff(np.append(starts, n)).astype(np.int64)
    _check_capacity(sizes, order[starts], region_int, dates, male)
    offsets = rng.integers(0, SEQUENCES_PER_SEX, size=starts.size)
    slot = (offsets[group] + rank) % SEQUENCES_PER_SEX
    sequence = np.empty(n, dtype=np.int64)
    sequence[order] = 2 * slot + male[order]

    # Digits of the 17-digit body: region (6), YYYYMMDD (8), sequence (3).
    years = (dates.astype("datetime64[Y]").astype(np.int64) + 1970).astype(np.int32)
    months_since = dates.astype("datetime64[M]")
    months = (months_since.astype(np.int64) % 12 + 1).astype(np.int32)
    days = ((dates - months_since).astype(np.int64) + 1).astype(np.int32)
    seq32 = sequence.astype(np.int32)
    body = np.empty((n, 17), dtype=np.uint8)
    body[:, :6] = digits
    positions = [(years, 1000), (years, 100), (years, 10), (years, 1), (months, 10)]
    positions += [(months, 1), (days, 10), (days, 1), (seq32, 100), (seq32, 10), (seq32, 1)]
    for j, (part, power) in enumerate(positions):
        body[:, 6 + j] = (part // power) % 10
    remainder = _weighted_sum(body, WEIGHTS) % 11
    out = np.empty((n, 18), dtype=np.uint8)
    np.add(body, ord("0"), out=out[:, :17])
    out[:, 17] = _RESIDENT_CHECK_ASCII[remainder]
    return _ascii_rows_to_str(out)


# ------------------------------------------------------------------------ organisations


def _symbol_indices(value: str | Sequence[str] | npt.ArrayLike, n: int, name: str) -> Any:
    """One alphabet symbol for all codes (a str) or one per code (length ``n``), as an
    array of alphabet indices."""
    arr = np.full(n, value, dtype="U1") if isinstance(value, str) else np.asarray(value)
    if isinstance(value, str) and len(value) != 1:
        raise ValueError(f"{name} must be one character, got {value!r}")
    if arr.shape != (n,):
        raise ValueError(f"{name} must be one character or have shape ({n},), got {arr.shape}")
    arr = arr.astype("U")
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    lengths = np.strings.str_len(arr)
    points = np.ascontiguousarray(arr.astype("U1")).view(np.uint32).astype(np.int64)
    lookup = np.full(128, -1, dtype=np.int64)
    lookup[_ASCII_ALPHABET] = np.arange(len(ALPHABET))
    idx = np.where((lengths == 1) & (points < 128), lookup[np.minimum(points, 127)], -1)
    if (idx < 0).any():
        i = int(np.flatnonzero(idx < 0)[0])
        raise ValueError(
            f"{name}[{i}] = {str(arr[i])!r} is not a symbol of the alphabet {ALPHABET}"
        )
    return idx


def issue_organisation_codes(
    rng: np.random.Generator,
    n: int,
    regions: npt.ArrayLike | None = None,
    registration_authorities: str | Sequence[str] | npt.ArrayLike = "9",
    org_types: str | Sequence[str] | npt.ArrayLike = "1",
) -> npt.NDArray[np.str_]:
    """Issue ``n`` unique unified social credit codes with valid check characters.

    ``regions``: 6-digit division codes, one per code; None draws them with
    :func:`random_regions`. ``registration_authorities`` and ``org_types``: one symbol for
    all codes (default ``"9"``, ``"1"``: enterprises registered by market regulation) or
    one per code, e.g. ``rng.choice(["9", "5", "1", "Y"], n)``. Organisation code bodies
    are distinct across the ``n`` codes (not across separate calls).
    """
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    region_digits = _digit_columns(random_regions(rng, n) if regions is None else regions, n)
    authority = _symbol_indices(registration_authorities, n, "registration_authorities")
    org_type = _symbol_indices(org_types, n, "org_types")
    if n == 0:
        return np.zeros(0, dtype="U18")
    # Distinct 8-symbol bodies: distinct integers below 31**8 written in base 31.
    numbers = rng.choice(len(ALPHABET) ** 8, size=n, replace=False).astype(np.int64)
    idx = np.empty((n, 17), dtype=np.uint8)  # alphabet indices of positions 1-17
    idx[:, 0] = authority
    idx[:, 1] = org_type
    idx[:, 2:8] = region_digits  # digit d has alphabet index d
    for j in range(15, 7, -1):  # least significant base-31 digit last
        numbers, digit = np.divmod(numbers, len(ALPHABET))
        idx[:, j] = digit
    org_sum = _weighted_sum(_LATIN_VALUES[idx[:, 8:16]], GB11714_WEIGHTS)
    idx[:, 16] = _GB11714_BY_REMAINDER[org_sum % 11]
    total = _weighted_sum(idx, USCC_WEIGHTS)
    out = np.empty((n, 18), dtype=np.uint8)
    out[:, :17] = _ASCII_ALPHABET[idx]
    out[:, 17] = _ASCII_ALPHABET[(31 - total % 31) % 31]
    return _ascii_rows_to_str(out)
