"""Data minimisation: unknown categories, categories no configured scheme uses, and records
without a legal basis are refused with a clear error, on every ingest path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factories import PERSON, make_record
from xinyong.adapters.store import open_store
from xinyong.core.errors import InvalidRecord
from xinyong.core.minimisation import scheme_categories
from xinyong.core.records import Record
from xinyong.drivers.cli.app import app
from xinyong.system.admission import ingest_file, ingest_records
from xinyong.system.catalogue import categories_for, known_categories
from xinyong.system.reading import IngestFailed
from xinyong.system.schemes_io import all_presets, preset

RAW = {
    "id": "r1",
    "subject": PERSON,
    "category": "traffic.violation",
    "occurred_at": "2024-03-01",
    "recorded_at": "2024-03-02",
    "source": "traffic-police",
    "legal_basis": "Road Traffic Safety Law art. 90",
}


@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_blank_legal_basis_is_refused_naming_the_field(blank: str) -> None:
    with pytest.raises(InvalidRecord) as e:
        Record.from_dict({**RAW, "legal_basis": blank}, row=3)
    assert e.value.field == "legal_basis"
    assert "row 3" in str(e.value)
    assert "must name the law or decision" in str(e.value)


def test_missing_legal_basis_is_refused() -> None:
    raw = {k: v for k, v in RAW.items() if k != "legal_basis"}
    with pytest.raises(InvalidRecord, match=r"legal_basis.*must name the law"):
        Record.from_dict(raw)


def test_record_built_in_code_without_legal_basis_is_refused_by_ingest(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "x.db"))
    try:
        good = make_record(id="ok-1")
        bad = make_record(id="bad-1", legal_basis="  ")
        with pytest.raises(IngestFailed) as e:
            ingest_records(store, [good, bad], known_categories=known_categories())
        assert [(x.row, x.field) for x in e.value.errors] == [(2, "legal_basis")]
        assert store.count() == 0  # nothing written
    finally:
        store.close()


def test_categories_for_narrows_the_catalogue_to_the_configured_schemes() -> None:
    only_traffic = categories_for({"shenzhen-traffic": preset("shenzhen-traffic")})
    assert only_traffic == scheme_categories(preset("shenzhen-traffic")) & known_categories()
    assert "traffic.violation" in only_traffic
    assert "court.listing_decision" not in only_traffic
    every = categories_for(all_presets())
    assert "court.judgment" not in every  # catalogued for the synthetic world, used by no preset
    assert every < known_categories()


def test_ingest_refuses_a_catalogued_category_no_configured_scheme_uses(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    rows = [
        RAW,
        {**RAW, "id": "r2", "category": "court.listing_decision", "details": {"ground": 1}},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    store = open_store(str(tmp_path / "x.db"))
    try:
        cats = categories_for({"shenzhen-traffic": preset("shenzhen-traffic")})
        with pytest.raises(IngestFailed) as e:
            ingest_file(store, path, known_categories=cats)
        [err] = e.value.errors
        assert (err.row, err.field) == (2, "category")
        assert "'court.listing_decision' is in the catalogue but no configured scheme" in err.reason
        assert "shenzhen-traffic" in err.reason
        assert store.count() == 0
    finally:
        store.close()


def test_unknown_category_still_says_unknown_and_suggests(tmp_path: Path) -> None:
    cats = categories_for(all_presets())
    store = open_store(str(tmp_path / "x.db"))
    try:
        with pytest.raises(IngestFailed, match=r"unknown category .traffic.violatoin.*did you"):
            ingest_records(
                store, [make_record(category="traffic.violatoin")], known_categories=cats
            )
    finally:
        store.close()


def test_cli_ingest_refuses_a_category_no_preset_uses(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    row = {**RAW, "category": "court.judgment"}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["ingest", str(path), "--db", str(tmp_path / "x.db")])
    assert result.exit_code != 0
    assert "no configured scheme uses it" in result.output
