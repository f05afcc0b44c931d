"""Golden cases: scheme regression cases written in YAML, one case per file.

Every ``tests/golden/**/*.yaml`` is one parametrized test (its id is the path below
``tests/golden``). A policy analyst adds a case without Python::

    description: what the case shows and why the expected values are right (cite the rule)
    schemes: [rongcheng]                  # preset schemes evaluated
    memoranda: [rewards]                  # optional: memoranda for the gate checks
    subject: "11010519491231002X"         # synthetic, valid identity number or USCC
    xfail: "why this is expected to fail" # optional: a known engine bug, reported
    records:                              # fields of Record.from_dict; subject defaults
      - {id: r1, category: traffic.violation, occurred_at: 2024-03-01,
         recorded_at: 2024-03-02, source: traffic-police, legal_basis: "..."}
    checks:
      - at: 2024-06-01
        known_at: 2024-06-01              # optional, defaults to at
        expected:                         # each key optional; only what is given is compared
          scores: {rongcheng: {score: 995, grade: A}}   # null = scheme not in force at `at`
          lists_in_force: ["rongcheng/black"]           # the exact set of scheme/list in force
          not_listed: ["r7"]                            # the exact set of refused listing records
          gates: {air.ticket: deny}                     # deny | benefit | allow
          published: ["p1"]                             # the exact set of records published
          ended_by: {spc-defaulters/dishonest-defaulters: creditor-request}
                                  # how the latest entry of a list ended by `at` (the removal
                                  # event, end-of-term, expired) or null (still in force)

Credit repair requests (optional), decided in order before the checks; a granted repair
adds its repair record to the file, so later checks see it::

    repairs:
      - record: p1                          # the record to repair
        filed_at: 2027-05-10
        decided_at: 2027-05-12              # optional, defaults to filed_at
        obligations: "receipt 2026-118"     # proof the obligations are met; omit = not met
        commitment: "I will keep the law"   # the written commitment; omit = none given
        expected:
          decision: refused                 # granted | refused
          reasons: ["minimum publication period of 1y ends 2027-05-01"]
                                            # a refusal gives exactly these reasons (each
                                            # text is found in one reason, in order)

The case format, its loader and runner live in :mod:`xinyong.golden` (operators run their
own cases with ``xinyong test``; see docs/golden-cases.md). Case files are validated
strictly: an unknown or misspelt key, a value of the wrong type or a category missing from
the catalogue fails with the file and the key path. When the engine
disagrees with a case, the failure shows the full explanation (scores, lists, gates) so
the author can see which record or rule made the difference.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from xinyong.adapters.batch.frame import records_frame
from xinyong.adapters.batch.score import score_population
from xinyong.core.scoring.engine import NoVersionInForce, score_subject
from xinyong.golden import CaseError, load_case, prepare, run_case
from xinyong.golden.strict_yaml import StrictLoader
from xinyong.system.schemes_io import preset, preset_names

GOLDEN = Path(__file__).parent / "golden"
MIN_CASES_PER_PRESET = 4


class GoldenMismatch(AssertionError):
    """The engine disagrees with a well-formed case (an ``xfail`` case expects exactly this)."""


def _case_files() -> list[Path]:
    return sorted(GOLDEN.rglob("*.yaml"))


def _params() -> list[Any]:
    out = []
    for path in _case_files():
        marks = []
        try:
            raw = yaml.load(path.read_text(encoding="utf-8"), Loader=StrictLoader)
            reason = raw.get("xfail") if isinstance(raw, dict) else None
        except yaml.YAMLError:
            reason = None  # the test itself reports the YAML error
        if isinstance(reason, str):
            # only a disagreement counts as the expected failure; a malformed case still fails
            marks.append(pytest.mark.xfail(reason=reason, strict=True, raises=GoldenMismatch))
        out.append(pytest.param(path, id=str(path.relative_to(GOLDEN)), marks=marks))
    return out


@pytest.mark.parametrize("path", _params())
def test_golden_case(path: Path) -> None:
    __tracebackhide__ = True
    try:
        outcome = run_case(prepare(load_case(path, GOLDEN)))
    except CaseError as e:
        pytest.fail(str(e), pytrace=False)
    if outcome.failures:
        raise GoldenMismatch(outcome.report())


@pytest.mark.parametrize(
    "path", [pytest.param(p, id=str(p.relative_to(GOLDEN))) for p in _case_files()]
)
def test_batch_scorer_agrees_on_every_check(path: Path) -> None:
    """The columnar scorer gives the same score and grade as the reference at every check.

    (It returns rows only for subjects with at least one record, so record-less cases are
    compared on the reference alone.)"""
    try:
        case = load_case(path, GOLDEN)
    except CaseError as e:
        pytest.fail(str(e), pytrace=False)
    if not any(r.subject == case.subject for r in case.records):
        return
    frame = records_frame(case.records)
    for i, check in enumerate(case.checks):
        for name in case.schemes:
            scheme = preset(name)
            try:
                ref = score_subject(scheme, case.subject, case.records, check.at, check.known_at)
            except NoVersionInForce:
                continue
            got = score_population(scheme, frame, check.at, check.known_at, engine="in-memory")
            row = got.filter(pl.col("subject") == case.subject)
            assert row.height == 1, f"checks[{i}] {name}: batch has no row for the subject"
            assert (row["score"][0], row["grade"][0]) == (ref.score, ref.grade), (
                f"{case.name} checks[{i}] {name}: batch disagrees with the reference"
            )


def test_golden_cases_exist_for_every_preset() -> None:
    counts = {name: len(list((GOLDEN / name).glob("*.yaml"))) for name in preset_names()}
    few = {name: n for name, n in counts.items() if n < MIN_CASES_PER_PRESET}
    assert not few, f"presets with fewer than {MIN_CASES_PER_PRESET} golden cases: {few}"


# --- the case format itself is strict ------------------------------------------------------

_GOOD_CASE = """\
description: a resident without records keeps the base
schemes: [rongcheng]
subject: "11010519491231002X"
records: []
checks:
  - at: 2024-06-01
    expected:
      scores: {rongcheng: {score: 1000, grade: A}}
"""


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "case.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_a_well_formed_case_parses(tmp_path: Path) -> None:
    case = load_case(_write(tmp_path, _GOOD_CASE))
    assert case.schemes == ["rongcheng"]
    assert case.checks[0].known_at is None  # the default: the latest knowledge


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("records: []", "records: []\nrecord: []"), "key 'record': unknown key"),
        (("scores:", "score:"), "key 'checks[0].expected.score': unknown key"),
        (("grade: A}", "grde: A}"), "key 'checks[0].expected.scores.rongcheng.grde': unknown key"),
        (('subject: "11010519491231002X"', "subject: 110105194912310021"), "quote the code"),
        (("records: []", "records: [{id: r1, category: speech.rumour}]"), "records[0]"),
        (("schemes: [rongcheng]", "schemes: rongcheng"), "key 'schemes': must be a list"),
        (("records: []\n", ""), "key 'records': missing required key"),
        (("at: 2024-06-01", "at: yesterday"), "key 'checks[0].at'"),
        (
            ("grade: A}}", "grade: A}}\n      gates: {air.ticket: refuse}"),
            "key 'checks[0].expected.gates.air.ticket': must be one of deny, benefit, allow",
        ),
        (("schemes: [rongcheng]", "schemes: [rongcheng]\nschemes: [sesame]"), "duplicate key"),
    ],
)
def test_malformed_cases_name_the_file_and_key(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    old, new = change
    assert old in _GOOD_CASE
    path = _write(tmp_path, _GOOD_CASE.replace(old, new, 1))
    with pytest.raises(CaseError) as info:
        load_case(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_unknown_category_is_refused_like_ingest(tmp_path: Path) -> None:
    text = _GOOD_CASE.replace(
        "records: []",
        "records:\n  - {id: r1, category: speech.rumour, occurred_at: 2024-01-01, "
        "recorded_at: 2024-01-02, source: x, legal_basis: y}",
    )
    with pytest.raises(CaseError, match=r"records\[0\]\.category'.*not in the catalogue"):
        load_case(_write(tmp_path, text))
