"""The shipped presets, memoranda and catalogue: they load, they agree with each other, every
unverified value is flagged, and a broken scheme file fails with a message naming the file
and the key."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from xinyong.core.errors import SchemeError
from xinyong.core.minimisation import scheme_categories
from xinyong.core.schemes.lists import UNTIL_REMOVAL, RecordEntry
from xinyong.core.schemes.model import ListsScheme, ScorecardScheme, TiersScheme
from xinyong.core.scoring.engine import AnyScheme
from xinyong.system.catalogue import catalogue, known_categories
from xinyong.system.schemes_io import (
    load_memorandum,
    load_scheme_file,
    memorandum,
    memorandum_names,
    preset,
    preset_names,
)

KINDS = {
    "rongcheng": "points",
    "suining-2010": "points",
    "sesame": "scorecard",
    "honest-shanghai": "tiers",
    "spc-defaulters": "lists",
    "shenzhen-traffic": "points",
}
MEMORANDA = ("high-consumption-2015", "joint-punishment-2016", "rewards")
SPC_LIST = "spc-defaulters/dishonest-defaulters"
HIGH_CONSUMPTION_GATES = {
    "air.ticket",
    "rail.soft-sleeper",
    "rail.g-train",
    "rail.bullet-first-class",
    "ship.cabin-second-class",
    "hotel.star-rated",
    "leisure.nightclub",
    "leisure.golf",
    "property.purchase",
    "property.build-renovate",
    "office.high-end-rental",
    "vehicle.purchase",
    "travel.holiday",
    "school.private-high-fee",
    "insurance.high-premium",
}


def band_paths(scheme: AnyScheme, version: int = 0) -> dict[str, str]:
    """grade -> dotted path of its band's min, as scheme.unverified() spells it."""
    v = scheme.versions[version]
    return {b.grade: f"versions[{version}].bands[{i}].min" for i, b in enumerate(v.bands)}


# --- loading ---------------------------------------------------------------------------------


def test_every_expected_preset_and_memorandum_is_shipped() -> None:
    assert set(KINDS) <= set(preset_names())
    assert set(MEMORANDA) <= set(memorandum_names())


@pytest.mark.parametrize("name", sorted(KINDS))
def test_preset_loads_with_its_kind_and_metadata(name: str) -> None:
    s = preset(name)
    assert s.kind == KINDS[name]
    assert s.name == name
    assert s.meta.description.strip()
    assert s.meta.sources
    for v in s.versions:
        assert v.notes.strip(), f"{name} {v.effective_from}: say what the version is in notes"
        for r in v.rules:
            assert r.legal_basis.strip(), f"{name}: {r.category}"
            assert r.description.strip(), f"{name}: {r.category}"
        for lst in v.lists:
            assert lst.legal_basis.strip()
            assert lst.objection.body.strip()


@pytest.mark.parametrize("name", MEMORANDA)
def test_memorandum_loads(name: str) -> None:
    m = memorandum(name)
    assert m.meta.name == name
    for measure in m.measures:
        assert measure.legal_basis.strip()
        assert measure.description.strip()


def test_memorandum_unverified_lists_u_measures_and_u_thresholds() -> None:
    m = memorandum("rewards")
    expected = [
        f"measures[{i}] ({x.id})"
        for i, x in enumerate(m.measures)
        if (x.confidence or m.meta.default_confidence) == "U"
    ]
    assert expected  # the rewards memorandum has unverified measures
    assert m.unverified() == expected
    assert memorandum("high-consumption-2015").unverified() == []
    # a score threshold marked U in an otherwise verified measure is reported by its path
    data = m.model_dump(mode="json")
    data["measures"] = [
        {
            **x,
            "confidence": "V",
            "score": {"scheme": "s", "at_least": {"value": 9, "confidence": "U"}},
        }
        for x in data["measures"][:1]
    ]
    data["measures"][0].pop("lists", None)
    changed = type(m).model_validate(data)
    assert changed.unverified() == ["measures[0].score.at_least"]


# --- consistency between files ---------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_category_of_a_preset_is_in_the_catalogue(name: str) -> None:
    missing = scheme_categories(preset(name)) - known_categories()
    assert not missing, f"presets/{name}.toml uses categories missing from the catalogue"


def test_catalogue_entries_are_complete() -> None:
    for name, c in catalogue().categories.items():
        assert c.title.strip(), name
        assert c.legal_basis.strip(), name
        assert name.count(".") == 1, f"{name}: use area.thing"
        assert name == name.lower(), f"{name}: use lower case"
        if c.publication:
            assert c.publication_class is not None, name


def test_catalogue_publication_periods_follow_the_reference() -> None:
    """Reference §7: NDRC Order 58 (2023) 3 months to 3 years for every penalty; from
    2026-04-01 minor not published, general 3 months to 1 year, serious 1 to 3 years."""
    cat = catalogue()
    by_id = {r.id: r for r in cat.publication}
    order58, m2026 = by_id["ndrc-order-58"], by_id["measures-2026"]
    for cls in ("minor", "general", "serious"):
        p = order58.period(cls)  # type: ignore[arg-type]
        assert (p.published, str(p.min), str(p.max)) == (True, "3mo", "3y")
    assert m2026.effective_from == date(2026, 4, 1)
    assert not m2026.minor.published
    assert (str(m2026.general.min), str(m2026.general.max)) == ("3mo", "1y")
    assert (str(m2026.serious.min), str(m2026.serious.max)) == ("1y", "3y")
    for r in cat.publication:
        for cls in ("minor", "general", "serious"):
            assert r.period(cls).confidence in ("V", "S", "U")  # type: ignore[arg-type]
    classes = cat.publication_classes()
    assert classes == {
        "market.admin_penalty_minor": "minor",
        "market.admin_penalty_general": "general",
        "market.admin_penalty_serious": "serious",
    }


def test_the_default_world_scenario_only_uses_catalogued_categories_and_declared_gates() -> None:
    from xinyong.world.gates import check_gates
    from xinyong.world.run import load_engine
    from xinyong.world.scenario import load_scenario

    scenario = load_scenario()
    assert not scenario.categories() - known_categories()
    _, memoranda = load_engine(scenario)
    check_gates(scenario, memoranda)


@pytest.mark.parametrize("name", MEMORANDA)
def test_every_list_and_score_a_memorandum_uses_exists(name: str) -> None:
    for measure in memorandum(name).measures:
        for ref in measure.lists:
            scheme_name, list_id = ref.split("/")
            scheme = preset(scheme_name)
            ids = {lst.id for v in scheme.versions for lst in v.lists}
            assert list_id in ids, f"{name}: {measure.id} names {ref}; {scheme_name} has {ids}"
        if measure.score is not None:
            scheme = preset(measure.score.scheme)
            assert not isinstance(scheme, ListsScheme | TiersScheme), (
                f"{name}: {measure.id} needs a score; {scheme.name} has none"
            )


@pytest.mark.parametrize("name", MEMORANDA)
def test_memorandum_sources_are_declared(name: str) -> None:
    m = memorandum(name)
    ids = {s.id for s in m.meta.sources}
    for measure in m.measures:
        assert measure.source is None or measure.source in ids, f"{name}: {measure.id}"
        if measure.score is not None:
            src = measure.score.at_least.source
            assert src is None or src in ids, f"{name}: {measure.id}.score"


# --- unverified values are flagged -----------------------------------------------------------


def test_rongcheng_cut_offs_other_than_aaa_are_unverified() -> None:
    s = preset("rongcheng")
    unverified = set(s.unverified())
    paths = band_paths(s)
    for grade in ("AA", "A", "B", "C"):
        assert paths[grade] in unverified, grade
    assert paths["AAA"] not in unverified  # the one confirmed cut-off
    v = s.versions[0]
    assert v.base.value == 1000
    assert "versions[0].base" not in unverified
    rules = {r.category: (i, r) for i, r in enumerate(v.rules)}
    i, ticket = rules["traffic.violation"]
    assert ticket.points.value == -5
    assert f"versions[0].rules[{i}].points" not in unverified
    i, heroic = rules["civic.heroic_act"]
    assert heroic.points.value == 30
    assert f"versions[0].rules[{i}].points" not in unverified
    for i, r in enumerate(v.rules):
        if r.category not in ("traffic.violation", "civic.heroic_act"):
            assert f"versions[0].rules[{i}].points" in unverified, r.category
    assert [o.max_grade for o in v.overrides] == ["C"]
    assert v.overrides[0].categories == ["traffic.drunk_driving"]


def test_sesame_weights_are_unverified_and_relationships_excluded() -> None:
    s = preset("sesame")
    assert isinstance(s, ScorecardScheme)
    v = s.versions[0]
    assert (v.range_min, v.range_max) == (350, 950)
    weights = {f.id: f.weight.value for f in v.factors}
    assert weights == {
        "credit_history": 35,
        "behaviour": 25,
        "ability": 20,
        "identity": 15,
        "relationships": 0,
    }
    unverified = set(s.unverified())
    for i, _ in enumerate(v.factors):
        assert f"versions[0].factors[{i}].weight" in unverified
    excluded = [f for f in v.factors if f.excluded_reason]
    assert [f.id for f in excluded] == ["relationships"]
    assert any("relationships" in x for x in s.meta.excluded_by_policy)
    mins = {b.grade: b.min.value if b.min else None for b in v.bands}
    assert mins == {"excellent": 700, "very good": 650, "good": 600, "medium": 550, "poor": None}


def test_suining_cut_offs_are_unverified_and_rumours_excluded() -> None:
    s = preset("suining-2010")
    unverified = set(s.unverified())
    for grade, path in band_paths(s).items():
        if grade != s.versions[0].bands[-1].grade:
            assert path in unverified, grade
    v = s.versions[0]
    elder = next(r for r in v.rules if r.category == "family.elder_support_failure")
    assert elder.points.value == -50
    assert any("rumour" in x for x in s.meta.excluded_by_policy)


def test_other_unverified_parameters_are_flagged() -> None:
    shenzhen = preset("shenzhen-traffic")
    assert "versions[0].lists[0].entries[0].count" in shenzhen.unverified()
    shanghai = preset("honest-shanghai")
    # the tier construction is ours: every rule's points carry the U mark
    for vi, v in enumerate(shanghai.versions):
        for ri, _ in enumerate(v.rules):
            assert f"versions[{vi}].rules[{ri}].points" in shanghai.unverified()
    assert preset("spc-defaulters").unverified() == []  # read in the primary text


# --- content checks --------------------------------------------------------------------------


def test_spc_list_terms_removals_and_objection() -> None:
    s = preset("spc-defaulters")
    assert [str(v.effective_from) for v in s.versions] == ["2013-10-01", "2017-05-01"]
    (old,) = s.versions[0].lists
    (old_entry,) = old.entries
    assert isinstance(old_entry, RecordEntry)
    assert str(old_entry.term) == UNTIL_REMOVAL
    assert old.extension is None
    assert {rm.event for rm in old.removals} == {"performance", "settlement", "enforcement-ended"}
    (lst,) = s.versions[1].lists
    assert (lst.id, lst.polarity) == ("dishonest-defaulters", "black")
    (entry,) = lst.entries
    assert isinstance(entry, RecordEntry)
    assert entry.term_detail == "ground"
    assert {k: str(v) for k, v in entry.terms.items()} == {
        "1": UNTIL_REMOVAL,
        **dict.fromkeys("23456", "2y"),
    }
    assert lst.extension is not None
    assert (lst.extension.min_years, lst.extension.max_years) == (1, 3)
    assert str(lst.extension.max_total) == "5y"
    kinds = [(x.kind, tuple(x.categories), tuple(x.detail_values)) for x in lst.exclusions]
    assert ("minor", (), ()) in kinds
    for cat in ("court.security_given", "court.assets_frozen_cover_debt", "court.later_in_order"):
        assert ("record", (cat,), ("1",)) in kinds
    removals = {rm.categories[0]: rm for rm in lst.removals}
    assert set(removals) == {
        "court.performance",
        "court.settlement_performed",
        "court.creditor_request",
        "court.no_assets_found",
        "court.enforcement_terminated",
    }
    assert str(removals["court.creditor_request"].relisting_bar) == "6mo"
    assert {"person.id_number", "organisation.uscc", "case_number"} <= set(lst.published_fields)
    assert lst.objection.decision_within == "15 days"
    assert "10 days" in lst.objection.reconsideration


def test_high_consumption_denies_every_item_on_the_spc_list_only() -> None:
    m = memorandum("high-consumption-2015")
    assert set(m.gates) == HIGH_CONSUMPTION_GATES
    covered = {g for measure in m.measures for g in measure.gates}
    assert covered == HIGH_CONSUMPTION_GATES
    for measure in m.measures:
        assert measure.effect == "deny"
        assert measure.lists == [SPC_LIST]
        assert "art. 3(" in measure.legal_basis


def test_joint_punishment_is_not_triggered_by_unrelated_lists() -> None:
    m = memorandum("joint-punishment-2016")
    assert {"finance.bond-issue", "procurement.bid"} <= set(m.gates)
    for measure in m.measures:
        assert measure.effect == "deny"
        assert measure.lists == [SPC_LIST], f"{measure.id}: only the SPC list (proportionality)"


def test_rewards_thresholds() -> None:
    m = memorandum("rewards")
    thresholds = {
        g: measure.score.at_least.value
        for measure in m.measures
        if measure.score is not None
        for g in measure.gates
    }
    assert thresholds == {
        "deposit.bike": 600,
        "deposit.rental": 650,
        "deposit.car-hire-abroad": 700,
        "hospital.pay-later": 650,
    }
    for measure in m.measures:
        assert measure.effect == "benefit"
        if measure.lists:
            assert measure.lists == ["rongcheng/red"]
            assert measure.confidence == "U"


# --- broken scheme files give clear errors ---------------------------------------------------

VALID = """\
kind = "points"

[meta]
name = "toy"
title = "Toy"
jurisdiction = "nowhere"
description = "for tests"
default_confidence = "S"

[[meta.sources]]
id = "src"
title = "a source"
confidence = "S"

[[versions]]
effective_from = 2020-01-01
base = 1000

[[versions.rules]]
category = "traffic.violation"
points = -5
validity = "1y"
legal_basis = "toy art. 1"
description = "a ticket costs 5 points"
source = "src"

[[versions.bands]]
grade = "A"
min = 960

[[versions.bands]]
grade = "B"
"""


def _scheme_file(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "broken.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_the_valid_toy_scheme_loads(tmp_path: Path) -> None:
    s = load_scheme_file(_scheme_file(tmp_path, VALID))
    assert s.name == "toy"


BROKEN: list[Any] = [
    pytest.param(
        ('description = "a ticket', 'descripton = "a ticket'),
        ["key 'versions[0].rules[0].descripton': unknown key"],
        id="unknown-key",
    ),
    pytest.param(
        ("points = -5", 'points = "minus five"'),
        ["key 'versions[0].rules[0].points'", "expected an integer or a table"],
        id="wrong-type",
    ),
    pytest.param(
        ('legal_basis = "toy art. 1"\n', ""),
        ["key 'versions[0].rules[0].legal_basis': missing required key"],
        id="missing-legal-basis",
    ),
    pytest.param(
        ("min = 960", 'min = 1200\n\n[[versions.bands]]\ngrade = "AA"\nmin = 1300'),
        ["key 'versions[0]'", "bands: mins must strictly decrease, got [1200, 1300]"],
        id="bands-not-decreasing",
    ),
    pytest.param(
        ('source = "src"', 'source = "rumour-mill"'),
        ["versions[0].rules[0].source: source 'rumour-mill' is not in meta.sources ['src']"],
        id="undeclared-source",
    ),
    pytest.param(
        ('validity = "1y"', 'validity = "a year"'),
        ["key 'versions[0].rules[0].validity'", "is not a duration"],
        id="bad-duration",
    ),
    pytest.param(
        ('kind = "points"', 'kind = "karma"'),
        ["key 'kind': must be one of points, scorecard, tiers, lists, got 'karma'"],
        id="unknown-kind",
    ),
    pytest.param(
        ("base = 1000", "base = 1000\nfloor = 1100\nceiling = 1050"),
        ["key 'versions[0]'", "floor 1100 is above ceiling 1050"],
        id="floor-above-ceiling",
    ),
    pytest.param(
        ("base = 1000", "base = 1000\nbase = 900"),
        ["not valid TOML"],
        id="not-toml",
    ),
]


@pytest.mark.parametrize(("change", "messages"), BROKEN)
def test_broken_scheme_files_name_the_file_and_the_key(
    tmp_path: Path, change: tuple[str, str], messages: list[str]
) -> None:
    old, new = change
    assert old in VALID
    path = _scheme_file(tmp_path, VALID.replace(old, new, 1))
    with pytest.raises(SchemeError) as info:
        load_scheme_file(path)
    text = str(info.value)
    assert text.startswith(str(path)), text
    for m in messages:
        assert m in text, text


def test_broken_memorandum_names_the_file_and_the_gate(tmp_path: Path) -> None:
    p = tmp_path / "memo.toml"
    p.write_text(
        """\
kind = "memorandum"
[meta]
name = "memo"
title = "Memo"
issued = 2016-01-20
description = "for tests"
default_confidence = "S"
sources = []
[gates]
"air.ticket" = "Sale of an air ticket"
[[measures]]
id = "m1"
title = "No trains"
effect = "deny"
gates = ["rail.g-train"]
lists = ["spc-defaulters/dishonest-defaulters"]
legal_basis = "art. 1"
description = "no trains"
""",
        encoding="utf-8",
    )
    with pytest.raises(SchemeError) as info:
        load_memorandum(str(p))
    assert str(p) in str(info.value)
    assert "measures[0].gates: 'rail.g-train' is not declared in gates" in str(info.value)


def test_an_unknown_preset_lists_the_available_ones() -> None:
    with pytest.raises(SchemeError, match=r"no preset scheme 'toy'; presets: .*rongcheng"):
        preset("toy")


def test_suining_base_in_four_parts_shown_in_the_explanation() -> None:
    from datetime import UTC, datetime

    from factories import make_record
    from xinyong.core.scoring.engine import score_subject

    s = preset("suining-2010")
    v = s.versions[-1]
    assert [(p.id, p.base.value) for p in v.parts] == [
        ("commercial-service", 150),
        ("social-service", 120),
        ("social-management", 530),
        ("special", 200),
    ]
    assert [b.grade for b in v.bands] == ["A", "B", "C", "D"]
    for i in range(len(v.bands) - 1):
        assert f"versions[0].bands[{i}].min" in s.unverified()
    subject = "320324197809220352"
    rec = make_record(
        subject=subject,
        category="civic.national_commendation",
        occurred_at="2010-04-01",
        recorded_at="2010-04-02",
    )
    r = score_subject(s, subject, [rec], datetime(2010, 5, 1, tzinfo=UTC))
    parts = {f.id: (f.base, f.points, f.value) for f in r.factors}
    assert parts["special"] == (200, 100, 300)
    assert sum(v[2] for v in parts.values()) == r.score == 1100
