"""Properties of the credit codes (hypothesis).

Claims checked here, each argued in the module docstrings of resident.py / organisation.py:

* ISO 7064 MOD 11-2 (resident numbers) detects every single substitution (all weights are
  non-zero mod the prime 11) and every transposition of two different adjacent characters
  (adjacent weights differ by a factor 2, so the sum changes by (a - b) * w != 0 mod 11).
* The GB 32100 MOD 31 check detects every single substitution within the 31-symbol
  alphabet (31 is prime, no weight is 0 mod 31) and every adjacent transposition of
  different symbols.
"""

from __future__ import annotations

from datetime import date

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from xinyong.core.codes import (
    ALPHABET,
    check,
    check_organisation,
    check_resident,
    county_codes,
    issue_organisation_codes,
    issue_resident_ids,
    make_resident_id,
    make_uscc,
    resident_check_char,
    uscc_check_char,
)

TODAY = date(2025, 6, 1)
DIGITS = "0123456789"

regions = st.sampled_from(county_codes())
births = st.dates(min_value=date(1800, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999)
resident_codes = st.builds(make_resident_id, regions, births, sequences)
symbols = st.sampled_from(ALPHABET)
uscc_codes = st.builds(
    make_uscc,
    symbols,
    symbols,
    regions,
    st.text(alphabet=ALPHABET, min_size=8, max_size=8),
)


@given(region=regions, born=births, sequence=sequences)
def test_made_resident_codes_validate_and_round_trip(
    region: str, born: date, sequence: int
) -> None:
    code = make_resident_id(region, born, sequence)
    result = check(code, today=TODAY)
    assert (result.kind, result.valid) == ("resident", True)
    # about 1 in 341 is also a valid USCC, which the reason notes
    assert result.reason is None or result.reason.startswith("ambiguous: also a valid")
    assert result.fields["region"] == region
    assert result.fields["birth_date"] == born.isoformat()
    assert result.fields["sex"] == ("male" if sequence % 2 else "female")
    assert result.fields["sequence"] == f"{sequence:03d}"


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), n=st.integers(1, 300))
def test_issued_resident_codes_validate_and_round_trip(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    table = np.array(county_codes())
    # few regions and days, so that sequence allocation within groups is exercised
    region_arr = table[rng.integers(0, 3, size=n)]
    birth_arr = np.datetime64("1999-12-30") + rng.integers(0, 3, size=n).astype("timedelta64[D]")
    male = rng.random(n) < 0.5
    codes = issue_resident_ids(rng, region_arr, birth_arr, male).tolist()
    assert len(set(codes)) == n
    for code, region, born, is_male in zip(codes, region_arr, birth_arr, male, strict=True):
        result = check(code, today=TODAY)
        assert result.valid, result.reason
        assert result.fields["region"] == region
        assert result.fields["birth_date"] == str(born)
        assert result.fields["sex"] == ("male" if is_male else "female")


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), n=st.integers(1, 300))
def test_issued_organisation_codes_validate(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    authorities = rng.choice(np.array(list(ALPHABET)), size=n)
    codes = issue_organisation_codes(rng, n, registration_authorities=authorities).tolist()
    assert len(set(codes)) == n
    for code, authority in zip(codes, authorities, strict=True):
        result = check_organisation(code)
        assert result.valid, result.reason
        assert result.fields["registration_authority"] == authority


@given(code=uscc_codes)
def test_made_usccs_validate(code: str) -> None:
    result = check(code, today=TODAY)
    assert (result.kind, result.valid) == ("organisation", True)


@given(code=resident_codes)
def test_every_single_substitution_of_a_resident_code_is_detected(code: str) -> None:
    for i in range(18):
        for ch in DIGITS + ("X" if i == 17 else ""):
            if ch == code[i]:
                continue
            mutated = code[:i] + ch + code[i + 1 :]
            assert not check_resident(mutated, today=TODAY).valid, mutated
            result = check(mutated, today=TODAY)
            assert not (result.valid and result.kind == "resident"), mutated


@given(body=st.text(alphabet=DIGITS, min_size=17, max_size=17), data=st.data())
def test_mod_11_2_check_character_detects_substitutions(body: str, data: st.DataObject) -> None:
    # The arithmetic alone, on any 17 digits (not only real dates and regions).
    i = data.draw(st.integers(0, 16))
    ch = data.draw(st.sampled_from(DIGITS).filter(lambda c: c != body[i]))
    assert resident_check_char(body[:i] + ch + body[i + 1 :]) != resident_check_char(body)


@given(code=resident_codes)
def test_every_adjacent_transposition_of_a_resident_code_is_detected(code: str) -> None:
    for i in range(17):
        if code[i] == code[i + 1]:
            continue
        swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
        assert not check_resident(swapped, today=TODAY).valid, swapped


@given(body=st.text(alphabet=DIGITS, min_size=17, max_size=17))
def test_mod_11_2_arithmetic_detects_adjacent_transpositions(body: str) -> None:
    code = body + resident_check_char(body)
    for i in range(17):
        if code[i] == code[i + 1]:
            continue
        swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
        if swapped[:17].isdigit():  # an X moved into the body is caught as a non-digit
            assert resident_check_char(swapped) != swapped[17], swapped


@settings(max_examples=50)
@given(code=uscc_codes)
def test_every_single_substitution_of_a_uscc_is_detected(code: str) -> None:
    for i in range(18):
        for ch in ALPHABET:
            if ch == code[i]:
                continue
            mutated = code[:i] + ch + code[i + 1 :]
            assert not check_organisation(mutated).valid, mutated
            result = check(mutated, today=TODAY)
            assert not (result.valid and result.kind == "organisation"), mutated


@given(body=st.text(alphabet=ALPHABET, min_size=17, max_size=17))
def test_mod_31_arithmetic_detects_adjacent_transpositions(body: str) -> None:
    code = body + uscc_check_char(body)
    for i in range(17):
        if code[i] == code[i + 1]:
            continue
        swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
        assert uscc_check_char(swapped) != swapped[17], swapped


@given(text=st.text(max_size=25))
def test_check_never_raises_and_always_explains(text: str) -> None:
    result = check(text, today=TODAY)
    assert result.code == text.strip().upper()
    assert result.valid or result.reason
    assert list(result.to_json_dict())[:4] == ["code", "kind", "valid", "reason"]
