"""Credit codes: GB 11643-1999 resident numbers, GB 32100-2015 USCCs, issuing, the CLI."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc
from typer.testing import CliRunner

from xinyong.core.codes import (
    ALPHABET,
    SequenceCapacityError,
    age_on,
    birth_date,
    check,
    check_organisation,
    check_resident,
    convert_15_to_18,
    county_codes,
    issue_organisation_codes,
    issue_resident_ids,
    make_resident_id,
    make_uscc,
    org_code_check_char,
    parse_allow_list,
    random_regions,
    region_name,
    resident_check_char,
    sex,
    shipped_allow_list,
    uscc_check_char,
)
from xinyong.core.codes.organisation import GB11714_WEIGHTS, USCC_WEIGHTS
from xinyong.core.codes.regions import known_region
from xinyong.core.codes.resident import WEIGHTS
from xinyong.drivers.cli.code_cmd import app

TODAY = date(2025, 6, 1)  # fixed "today" so future-date rules do not drift

# The two examples printed in GB 11643-1999.
STANDARD_RESIDENT_EXAMPLES = ("11010519491231002X", "440524188001010014")

# Published USCCs collected in python-stdnum's test suite (tests/test_cn_uscc.doctest):
# real codes, several with letters in the organisation code body, one all digits.
PUBLISHED_USCCS = (
    "91110000600037341L",
    "121200004013590816",
    "9115220107837757XE",
    "91310115MA1K3BTP2B",
    "91340600MA2PBM9HXD",
    "91340603MA2UJXXCXF",
    "91420684MA4927PJ7B",
    "91620105L015101280",
    "91620105MA71T4YW8Q",
    "92340602MA2PEL8AXA",
    "92340621MA2PBN4YX0",
    "92340621MA2UJWYPX8",
)


def resident_code(region: str, ymd: str, sequence: str) -> str:
    """Build a resident number with a correct check character, bypassing all other rules."""
    body = region + ymd + sequence
    return body + resident_check_char(body)


# ------------------------------------------------------------------------ the standards


def test_weights_are_the_published_ones() -> None:
    assert WEIGHTS == (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    assert USCC_WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert GB11714_WEIGHTS == (3, 7, 9, 10, 5, 8, 4, 2)
    assert len(ALPHABET) == 31
    assert not set("IOZSV") & set(ALPHABET)


@pytest.mark.parametrize("code", STANDARD_RESIDENT_EXAMPLES)
def test_standard_resident_examples_validate(code: str) -> None:
    result = check(code, today=TODAY)
    assert (result.kind, result.valid, result.reason) == ("resident", True, None)
    assert stdnum_ric.calc_check_digit(code) == code[-1]  # independent check digit agrees


def test_stdnum_is_stricter_than_the_standard_on_regions() -> None:
    # stdnum.cn.ric also requires the address code to be in its table for the birth year,
    # so it rejects the standard's own example (潮阳县 is not in its table for 1880).
    assert not stdnum_ric.is_valid("440524188001010014")
    assert check("440524188001010014", today=TODAY).valid


def test_standard_example_fields() -> None:
    result = check("11010519491231002X", today=TODAY)
    assert result.fields == {
        "region": "110105",
        "region_name": "北京市朝阳区",
        "birth_date": "1949-12-31",
        "sex": "female",
        "sequence": "002",
    }
    old = check("440524188001010014", today=TODAY)
    assert old.fields["birth_date"] == "1880-01-01"
    assert old.fields["sex"] == "male"
    assert old.fields["region_name"] == "广东省汕头市潮阳县"  # a county retired since


@pytest.mark.parametrize("code", PUBLISHED_USCCS)
def test_published_usccs_validate(code: str) -> None:
    result = check(code)
    assert (result.kind, result.valid, result.reason) == ("organisation", True, None)
    assert stdnum_uscc.is_valid(code)
    assert result.fields["org_code"] == code[8:17]
    assert result.fields["allow_listed"] is False


def test_gb11714_letters_take_latin_values_not_alphabet_indices() -> None:
    # 'M' is worth 22 in GB 11714 (A = 10 ... Z = 35) but has index 21 in the GB 32100
    # alphabet (I is skipped); the published code only checks with the Latin values.
    body = "MA1K3BTP"
    assert org_code_check_char(body) == "2"  # 91310115MA1K3BTP2B
    by_index = sum(ALPHABET.index(c) * w for c, w in zip(body, GB11714_WEIGHTS, strict=True))
    assert str(11 - by_index % 11) != "2"


def test_make_golden_cases() -> None:
    assert make_resident_id("110105", date(1949, 12, 31), 2) == "11010519491231002X"
    assert make_resident_id("440524", date(1880, 1, 1), 1) == "440524188001010014"
    assert make_uscc("9", "1", "110000", "60003734") == "91110000600037341L"
    assert uscc_check_char("91110000600037341") == stdnum_uscc.calc_check_digit("91110000600037341")


# -------------------------------------------------------------------- resident errors


def test_wrong_check_character() -> None:
    result = check("110105194912310025", today=TODAY)
    assert result.kind == "resident"
    assert not result.valid
    assert result.reason == "check character at position 18 is '5', expected 'X'"
    assert result.fields["birth_date"] == "1949-12-31"  # still parsed


def test_impossible_birth_date() -> None:
    code = resident_code("110105", "19490229", "002")  # 1949 was not a leap year
    result = check_resident(code, today=TODAY)
    assert not result.valid
    assert result.reason == "birth date 19490229 at positions 7-14 is not a real date"
    assert result.fields["birth_date"] is None


def test_birth_date_before_1800_and_in_the_future() -> None:
    early = check_resident(resident_code("110105", "17991231", "001"), today=TODAY)
    assert early.reason == "birth date 17991231 at positions 7-14 is before 1800-01-01"
    future = check_resident(resident_code("110105", "20250602", "001"), today=TODAY)
    assert future.reason == (
        "birth date 20250602 at positions 7-14 is in the future (after 2025-06-01)"
    )
    assert check_resident(resident_code("110105", "20250601", "001"), today=TODAY).valid


def test_unknown_province_prefix_is_an_error() -> None:
    code = resident_code("190105", "19800101", "001")
    result = check(code, today=TODAY)
    assert result.kind == "resident"
    assert result.reason == (
        "address code 190105 at positions 1-6 starts with 19, which is not a "
        "province-level division code"
    )


def test_unknown_county_in_known_province_is_not_an_error() -> None:
    assert known_region("110199") is None
    result = check(resident_code("110199", "19800101", "001"), today=TODAY)
    assert result.valid
    assert result.fields["region_name"] is None


@pytest.mark.parametrize("prefix", ["81", "82", "83"])
def test_hong_kong_macao_taiwan_residence_permit_prefixes(prefix: str) -> None:
    assert check(resident_code(prefix + "0000", "19800101", "001"), today=TODAY).valid


def test_foreign_permanent_resident_id_leading_nine() -> None:
    result = check(resident_code("911156", "19800101", "001"), today=TODAY)
    assert (result.kind, result.valid) == ("resident", True)
    assert result.fields["region_name"] is None


def test_non_digit_in_resident_body() -> None:
    result = check_resident("1101051949123100AX", today=TODAY)
    assert result.reason == "character 'A' at position 17 is not a digit (positions 1-17)"


def test_first_generation_15_digit_number() -> None:
    result = check("110105491231002", today=TODAY)
    assert (result.kind, result.valid) == ("resident", False)
    assert result.reason is not None
    assert "15-digit first-generation" in result.reason
    assert "11010519491231002X" in result.reason
    assert convert_15_to_18("110105491231002") == "11010519491231002X"
    assert convert_15_to_18("440524800101001", century="18") == "440524188001010014"


def test_wrong_length_cannot_tell_kind() -> None:
    result = check("11010519491231002")
    assert (result.kind, result.valid) == (None, False)
    assert result.reason is not None
    assert result.reason.startswith("has 17 characters")


def test_normalisation() -> None:
    result = check("  11010519491231002x\n", today=TODAY)
    assert result.code == "11010519491231002X"
    assert result.valid


def test_ambiguous_all_digit_code_with_equal_problems_has_no_kind() -> None:
    # Read as a resident number: bad date + bad check; as a USCC: bad GB 11714 check + bad
    # check. Neither reading is closer, so the kind is not guessed.
    result = check("110105194913310025", today=TODAY)
    assert result.kind is None
    assert result.reason is not None
    assert "as a resident identity number: birth date 19491331" in result.reason
    assert "as a unified social credit code: organisation code check" in result.reason


def test_code_valid_as_both_kinds_is_flagged() -> None:
    # Found by search: valid resident numbers whose USCC reading also conforms.
    citizen = "110105199005052314"
    assert check_organisation(citizen).valid
    result = check(citizen, today=TODAY)
    assert (result.kind, result.valid) == ("resident", True)
    assert result.reason == (
        "ambiguous: also a valid unified social credit code; read as the more likely kind"
    )
    leading_nine = "911156199005053974"  # a foreigner's ID layout, but 91 = enterprise
    assert check_resident(leading_nine, today=TODAY).valid
    result = check(leading_nine, today=TODAY)
    assert (result.kind, result.valid) == ("organisation", True)
    assert result.reason is not None
    assert "also a valid resident identity number" in result.reason


def test_all_digit_uscc_is_read_as_organisation() -> None:
    result = check("121200004013590816", today=TODAY)
    assert (result.kind, result.valid) == ("organisation", True)
    assert result.fields["registration_authority_name"] == "institutional establishment (机构编制)"


def test_resident_helpers() -> None:
    assert birth_date("11010519491231002X") == date(1949, 12, 31)
    assert sex("11010519491231002X") == "female"
    assert sex("440524188001010014") == "male"
    assert age_on("11010519491231002X", date(2024, 12, 30)) == 74
    assert age_on("11010519491231002X", date(2024, 12, 31)) == 75
    leap = make_resident_id("110105", date(2000, 2, 29), 1)
    assert age_on(leap, date(2018, 2, 28)) == 17
    assert age_on(leap, date(2018, 3, 1)) == 18
    with pytest.raises(ValueError, match="before the birth date"):
        age_on(leap, date(1999, 1, 1))
    with pytest.raises(ValueError, match="not a real date"):
        birth_date(resident_code("110105", "19491301", "001"))


# ---------------------------------------------------------------- organisation errors


def test_character_outside_alphabet() -> None:
    result = check("9111I000600037341L")
    assert result.kind == "organisation"
    assert result.reason == (
        "character 'I' at position 5 is not in the GB 32100 alphabet "
        "0123456789ABCDEFGHJKLMNPQRTUWXY"
    )


def test_wrong_outer_check_character() -> None:
    result = check("91110000600037341M")
    assert result.reason == "check character at position 18 is 'M', expected 'L'"


def test_wrong_embedded_org_check_with_right_outer_check() -> None:
    body = "91110000" + "60003734" + "2"  # GB 11714 check should be 1
    code = body + uscc_check_char(body)
    assert stdnum_uscc.is_valid(code)  # stdnum does not look at the embedded check
    result = check(code)
    assert (result.kind, result.valid) == ("organisation", False)
    assert result.reason == (
        "organisation code check character at position 17 is '2', expected '1' "
        "(GB 11714 check over positions 9-16)"
    )


@pytest.mark.parametrize(
    ("authority", "org_type", "name"),
    [
        ("Y", "1", "other (其他)"),
        ("N", "2", "agriculture (农业)"),
        (
            "A",
            "1",
            "Central Military Commission reform and establishment office (中央军委改革"
            "和编制办公室)",
        ),
        ("5", "3", "civil affairs (民政)"),
    ],
)
def test_letter_registration_authorities_are_accepted(
    authority: str, org_type: str, name: str
) -> None:
    code = make_uscc(authority, org_type, "110000", "60003734")
    result = check(code)
    assert (result.kind, result.valid) == ("organisation", True)
    assert result.fields["registration_authority_name"] == name
    if not authority.isdigit():
        assert not stdnum_uscc.is_valid(code)  # stdnum is stricter than the standard


def test_unknown_authority_in_alphabet_is_not_an_error() -> None:
    result = check(make_uscc("B", "K", "110000", "60003734"))
    assert result.valid
    assert result.fields["registration_authority_name"] is None
    assert result.fields["org_type_name"] is None


def test_letters_in_division_code_are_an_error() -> None:
    result = check(make_uscc("9", "1", "11A100", "60003734"))
    assert not result.valid
    assert result.reason == "division code 11A100 at positions 3-8 must be 6 digits (GB/T 2260)"


def test_to_json_dict_key_order() -> None:
    keys = list(check("91110000600037341L").to_json_dict())
    assert keys[:4] == ["code", "kind", "valid", "reason"]
    assert keys[4:] == [
        "registration_authority",
        "registration_authority_name",
        "org_type",
        "org_type_name",
        "region",
        "region_name",
        "org_code",
        "allow_listed",
    ]


# --------------------------------------------------------------------------- allow-list


def _bad_pilot_code() -> str:
    body = "91110000" + "60003734" + "2"  # wrong GB 11714 check, right outer check
    return body + uscc_check_char(body)


def test_allow_list_accepts_non_conforming_code_and_says_why() -> None:
    code = _bad_pilot_code()
    assert not check(code).valid
    result = check(code.lower() + " ", allow=[code.lower()])
    assert (result.kind, result.valid) == ("organisation", True)
    assert result.fields["allow_listed"] is True
    assert result.reason is not None
    assert result.reason.startswith("accepted by the allow-list of known pilot codes despite:")
    assert "position 17" in result.reason
    assert check_organisation(code, allow={code}).valid


def test_allow_list_does_not_fix_wrong_length_or_alphabet() -> None:
    assert not check("9111I000600037341L", allow=["9111I000600037341L"]).valid
    assert check("91110000600037341L", allow=["91110000600037341L"]).fields["allow_listed"]


def test_parse_allow_list() -> None:
    lines = ["# pilot codes", "", f"  {_bad_pilot_code().lower()}  # source: test", "#x"]
    assert parse_allow_list(lines) == frozenset({_bad_pilot_code()})
    with pytest.raises(ValueError, match=r"pilots\.txt line 2: 'SHORT'"):
        parse_allow_list(["", "short"], source="pilots.txt")


def test_shipped_allow_list_loads_and_is_well_formed() -> None:
    shipped = shipped_allow_list()
    assert isinstance(shipped, frozenset)
    for code in shipped:
        assert len(code) == 18
        assert set(code) <= set(ALPHABET)


# ------------------------------------------------------------------------------ regions


def test_region_table() -> None:
    codes = county_codes()
    assert list(codes) == sorted(set(codes))
    assert all(len(c) == 6 and c.isdigit() and c[4:] != "00" for c in codes)
    assert all(region_name(c) is not None for c in codes)
    assert "110105" in codes
    assert "110103" not in codes  # 崇文区, merged into 东城区 in 2010
    assert "110103" in county_codes(current=False)
    assert region_name("130102") == "河北省石家庄市长安区"
    assert region_name("120110") == "天津市东丽区"
    assert region_name("120110", 1980) == "天津市东郊区"
    assert region_name("110000") == "北京市"


# ------------------------------------------------------------------------------ issuing


def _population(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    regions = random_regions(rng, n)
    days = rng.integers(0, (date(2020, 1, 1) - date(1920, 1, 1)).days, size=n)
    births = np.datetime64("1920-01-01") + days.astype("timedelta64[D]")
    male = rng.random(n) < 0.5
    return regions, births, male


def test_issue_resident_ids_unique_valid_and_round_trip() -> None:
    rng = np.random.default_rng(20150601)
    n = 200_000
    regions, births, male = _population(rng, n)
    codes = issue_resident_ids(rng, regions, births, male)
    assert codes.shape == (n,)
    assert len(np.unique(codes)) == n
    for i, code in enumerate(codes.tolist()):
        result = check(code, today=TODAY)
        assert result.valid, (code, result.reason)
        assert result.kind == "resident"
        assert result.fields["region"] == regions[i]
        assert result.fields["birth_date"] == str(births[i])
        assert result.fields["sex"] == ("male" if male[i] else "female")
    # stdnum's scalar check digit agrees with the vectorised one (stdnum.cn.ric.is_valid
    # itself would also reject counties created after the birth year).
    sample = codes[:: n // 2000].tolist()
    assert all(stdnum_ric.calc_check_digit(c) == c[-1] for c in sample)


@pytest.mark.slow
def test_issue_ten_million_unique_codes() -> None:
    # Correctness at national scale; the speed is measured by `make bench`, not here.
    rng = np.random.default_rng(10_000_000)
    n = 10_000_000
    regions, births, male = _population(rng, n)
    residents = issue_resident_ids(rng, regions, births, male)
    organisations = issue_organisation_codes(rng, n)
    assert len(np.unique(residents)) == n
    assert len(np.unique(organisations)) == n
    assert all(check(c, today=TODAY).valid for c in residents[::100_000].tolist())


def test_issue_resident_ids_is_reproducible_and_accepts_sex_strings() -> None:
    regions, births, male = _population(np.random.default_rng(1), 1000)
    sexes = np.where(male, "male", "female")
    a = issue_resident_ids(np.random.default_rng(7), regions, births, male)
    b = issue_resident_ids(np.random.default_rng(7), regions, births, sexes)
    c = issue_resident_ids(np.random.default_rng(8), regions, births, male)
    assert a.tolist() == b.tolist()
    assert a.tolist() != c.tolist()


def test_sequence_allocation_fills_capacity_then_refuses() -> None:
    rng = np.random.default_rng(3)
    n = 500
    regions = np.full(n, "110105")
    births = np.full(n, np.datetime64("1990-01-01"))
    for is_male in (True, False):
        codes = issue_resident_ids(rng, regions, births, np.full(n, is_male))
        sequences = {int(c[14:17]) for c in codes.tolist()}
        assert len(sequences) == n
        assert {s % 2 for s in sequences} == {1 if is_male else 0}
    with pytest.raises(SequenceCapacityError, match="501 women born on 1990-01-01"):
        issue_resident_ids(
            rng, np.full(501, "110105"), np.full(501, births[0]), np.zeros(501, bool)
        )


@pytest.mark.parametrize(
    ("regions", "births", "sexes", "message"),
    [
        (["11010"], ["1990-01-01"], [True], "regions\\[0\\] = '11010'"),
        (["190105"], ["1990-01-01"], [True], "prefix\\(es\\) 19"),
        (["110105"], ["1799-12-31"], [True], "birth_dates\\[0\\]"),
        (["110105"], ["1990-01-01"], ["man"], "sexes\\[0\\] = 'man'"),
    ],
)
def test_issue_resident_ids_rejects_bad_input(
    regions: list[str], births: list[str], sexes: list[object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        issue_resident_ids(
            np.random.default_rng(0),
            np.array(regions),
            np.array(births, dtype="datetime64[D]"),
            np.array(sexes),
        )


def test_issue_organisation_codes_unique_and_valid() -> None:
    rng = np.random.default_rng(20151001)
    n = 200_000
    authorities = rng.choice(np.array(["9", "5", "1", "Y", "N"]), size=n)
    codes = issue_organisation_codes(rng, n, registration_authorities=authorities, org_types="1")
    assert len(np.unique(codes)) == n
    assert len({c[8:17] for c in codes.tolist()}) == n  # organisation codes unique too
    counties = set(county_codes())
    for i, code in enumerate(codes.tolist()):
        result = check(code)
        assert result.valid, (code, result.reason)
        assert result.kind == "organisation"
        assert result.fields["registration_authority"] == authorities[i]
        assert result.fields["region"] in counties
    sample = [c for c in codes[:2000].tolist() if c[0].isdigit()]
    assert all(stdnum_uscc.is_valid(c) for c in sample)


def test_issue_organisation_codes_with_given_regions() -> None:
    rng = np.random.default_rng(5)
    regions = np.array(["110105", "440524", "100000"])
    codes = issue_organisation_codes(
        rng, 3, regions=regions, registration_authorities="5", org_types=["1", "2", "3"]
    )
    assert [c[:8] for c in codes.tolist()] == ["51110105", "52440524", "53100000"]
    assert all(check(c).valid for c in codes.tolist())
    with pytest.raises(ValueError, match="registration_authorities\\[0\\] = 'I'"):
        issue_organisation_codes(rng, 1, registration_authorities=["I"])


def test_random_regions_are_current_counties() -> None:
    picked = random_regions(np.random.default_rng(0), 5000)
    assert set(picked.tolist()) <= set(county_codes())
    assert len(set(picked.tolist())) > 1000  # drawn across the table, not one place


# ---------------------------------------------------------------------------------- CLI


def _lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_cli_all_valid_exits_zero() -> None:
    result = CliRunner().invoke(app, ["check", "11010519491231002X", "91110000600037341L"])
    assert result.exit_code == 0, result.output
    rows = _lines(result.output)
    assert [r["code"] for r in rows] == ["11010519491231002X", "91110000600037341L"]
    assert [list(r)[:4] for r in rows] == [["code", "kind", "valid", "reason"]] * 2
    assert rows[0]["region_name"] == "北京市朝阳区"
    assert "北京市朝阳区" in result.output  # ensure_ascii=False


def test_cli_any_invalid_exits_one() -> None:
    result = CliRunner().invoke(app, ["check", "11010519491231002X", "110105194912310025"])
    assert result.exit_code == 1
    rows = _lines(result.output)
    assert [r["valid"] for r in rows] == [True, False]
    assert rows[1]["reason"] == "check character at position 18 is '5', expected 'X'"


def test_cli_allow_file(tmp_path: Path) -> None:
    code = _bad_pilot_code()
    allow = tmp_path / "pilots.txt"
    allow.write_text(f"# test pilots\n{code}  # source: test\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(app, ["check", code]).exit_code == 1
    result = runner.invoke(app, ["check", "--allow-file", str(allow), code])
    assert result.exit_code == 0, result.output
    assert _lines(result.output)[0]["allow_listed"] is True


def test_cli_bad_allow_file_is_a_usage_error(tmp_path: Path) -> None:
    allow = tmp_path / "pilots.txt"
    allow.write_text("not-a-code\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["check", "--allow-file", str(allow), "91110000600037341L"])
    assert result.exit_code == 2
    missing = CliRunner().invoke(app, ["check", "--allow-file", str(tmp_path / "no.txt"), "x"])
    assert missing.exit_code == 2


def test_cli_help_has_an_example() -> None:
    result = CliRunner().invoke(app, ["check", "--help"])
    assert result.exit_code == 0
    assert "xinyong code check 11010519491231002X" in result.output
