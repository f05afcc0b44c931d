"""``xinyong org CODE``: a company's public credit information from the store, one use case
(:func:`xinyong.system.company.company_file`) behind the CLI and the portal page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xinyong.drivers.cli.app import app

EXAMPLE = Path(__file__).parents[1] / "examples" / "organisations.jsonl"
runner = CliRunner()
TAXED = "91310115100000016P"
ABNORMAL = "91310115300000037K"


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "orgs.db")
    result = runner.invoke(app, ["ingest", str(EXAMPLE), "--db", path])
    assert result.exit_code == 0, result.output
    return path


def org(db: str, code: str, at: str) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, ["org", code, "--at", at, "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    data: dict = json.loads(result.stdout)  # type: ignore[type-arg]
    return data


def test_published_penalty_list_entries_and_public_rating(db: str) -> None:
    page = org(db, TAXED, "2026-06-01")
    assert [p["record_id"] for p in page["penalties"]] == ["org-mkt-1"]
    penalty = page["penalties"][0]
    assert penalty["published_until"].startswith("2027-05-01")  # general: at most 1 year
    assert penalty["repair_possible_from"].startswith("2026-08-01")  # at least 3 months
    lists = sorted({e["list"] for e in page["list_entries"]})
    assert lists == [
        "sat-major-tax-violations/major-tax-violators",
        "sat-tax-credit/d-level",
        "sat-tax-credit/direct-d",
    ]
    major = next(e for e in page["list_entries"] if e["list"].startswith("sat-major"))
    assert major["how_to_object"]["body"] == "the tax authority that made the determination"
    assert len(major["how_to_get_off"]) == 2
    assert page["ratings"] == [
        {
            "scheme": "sat-tax-credit",
            "grade": "D",
            "score": 100,
            "published_by": ["sat-tax-credit/d-level", "sat-tax-credit/direct-d"],
        }
    ]
    assert any("3y" in u for u in page["unverified"]["sat-major-tax-violations"])


def test_penalty_drops_off_after_its_publication_period(db: str) -> None:
    page = org(db, TAXED, "2027-05-02")
    assert page["penalties"] == []


def test_abnormal_listing_shows_removal_route_and_no_unrated_tax_grade(db: str) -> None:
    page = org(db, ABNORMAL, "2025-06-01")
    assert [e["list"] for e in page["list_entries"]] == [
        "samr-enterprise-lists/abnormal-operations"
    ]
    entry = page["list_entries"][0]
    assert entry["term"] == "until-removal"
    assert "corrected the ground" in entry["how_to_get_off"][0]
    assert page["ratings"] == []  # no tax registration on file: not rated, no A list


def test_three_years_later_the_abnormal_entry_has_moved_to_the_serious_list(db: str) -> None:
    page = org(db, ABNORMAL, "2025-07-10")
    assert sorted(e["list"] for e in page["list_entries"]) == [
        "samr-enterprise-lists/abnormal-operations",
        "samr-enterprise-lists/serious-illegal",
    ]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("310115198005061232", "is not a company's unified social credit code"),
        ("91310115100000016X", "is not a company's unified social credit code"),
    ],
)
def test_a_code_that_is_not_a_uscc_is_refused_with_a_clear_error(
    db: str, code: str, message: str
) -> None:
    result = runner.invoke(app, ["org", code, "--db", db])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_console_rendering_names_sections_and_unverified_values(db: str) -> None:
    result = runner.invoke(app, ["org", TAXED, "--at", "2026-06-01", "--db", db])
    assert result.exit_code == 0, result.output
    assert "Administrative penalties published (1)" in result.output
    assert "versions[0].lists[major-tax-violators].entries[0].terms" in result.output
