"""``xinyong test``: golden cases run from the command line, against presets or own schemes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from xinyong.drivers.cli.app import app

ROOT = Path(__file__).parent.parent
GOLDEN = ROOT / "tests" / "golden"
EXAMPLES = ROOT / "examples" / "golden"
PRESET = ROOT / "src" / "xinyong" / "data" / "schemes" / "rongcheng.toml"
TICKET_CASE = GOLDEN / "rongcheng" / "base-and-traffic-ticket.yaml"
runner = CliRunner()


def run(*args: str | Path) -> Result:
    return runner.invoke(app, ["test", *(str(a) for a in args)])


def test_passing_cases_exit_0_with_one_line_per_case() -> None:
    result = run(GOLDEN / "rongcheng", TICKET_CASE)
    assert result.exit_code == 0, result.output
    n = len(list((GOLDEN / "rongcheng").glob("*.yaml"))) + 1
    lines = result.stdout.splitlines()
    assert [ln.split()[0] for ln in lines[:n]] == ["PASS"] * n
    assert lines[n] == f"{n} case(s): {n} passed"


def test_a_wrong_case_exits_1_and_prints_the_difference(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.yaml"
    text = TICKET_CASE.read_text(encoding="utf-8")
    wrong.write_text(text.replace("{score: 995, grade: A}", "{score: 990, grade: A}", 1))
    result = run(TICKET_CASE, wrong)
    assert result.exit_code == 1, result.output
    assert f"PASS  {TICKET_CASE}" in result.stdout
    assert f"FAIL  {wrong}" in result.stdout
    assert "checks[1].expected.scores.rongcheng.score: expected 990, got 995" in result.stdout
    assert "2 case(s): 1 passed, 1 failed" in result.stdout
    data = json.loads(run(wrong, "--json").stdout)
    assert data["summary"] == {"cases": 1, "passed": 0, "failed": 1, "xfailed": 0, "xpassed": 0}
    [failure] = data["cases"][0]["failures"]
    assert failure["differences"] == [
        {
            "path": "checks[1].expected.scores.rongcheng.score",
            "expected": 990,
            "got": 995,
            "note": "",
        }
    ]
    assert failure["explanation"]["scores"]["rongcheng"]["score"] == 995


def test_an_own_scheme_file_replaces_the_preset_of_its_name(tmp_path: Path) -> None:
    own = tmp_path / "my-rongcheng.toml"
    text = PRESET.read_text(encoding="utf-8")
    ticket = 'category = "traffic.violation"\npoints = { value = -5,'
    assert ticket in text
    own.write_text(text.replace(ticket, ticket.replace("-5", "-50")), encoding="utf-8")
    assert run(TICKET_CASE).exit_code == 0
    result = run(TICKET_CASE, "--scheme", own)
    assert result.exit_code == 1, result.output
    assert "checks[1].expected.scores.rongcheng.score: expected 995, got 950" in result.stdout


def test_the_documented_examples_behave_as_documented() -> None:
    ok = run(EXAMPLES / "my-city", "--scheme", EXAMPLES / "my-city.toml")
    assert ok.exit_code == 0, ok.output
    assert "2 case(s): 2 passed" in ok.stdout
    stricter = run(EXAMPLES / "my-city", "--scheme", EXAMPLES / "my-city-stricter.toml")
    assert stricter.exit_code == 1, stricter.output
    assert "checks[0].expected.scores.my-city.score: expected 90, got 85" in stricter.stdout


def _bad_scheme(tmp_path: Path) -> Path:
    p = tmp_path / "bad.toml"
    p.write_text("kind = 'points'\n[meta\n", encoding="utf-8")
    return p


def _case(tmp_path: Path, old: str, new: str, count: int = 1) -> Path:
    p = tmp_path / "case.yaml"
    text = TICKET_CASE.read_text(encoding="utf-8")
    assert old in text
    p.write_text(text.replace(old, new, count), encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (lambda t: [t / "nothing.yaml"], ["nothing.yaml: no such file or folder"]),
        (lambda t: [t], ["no case files (*.yaml, *.yml) in this folder"]),
        (
            lambda t: [_case(t, "checks:", "chekcs:")],
            ["case.yaml: key 'chekcs': unknown key"],
        ),
        (
            lambda t: [_case(t, "rongcheng", "rongchen", count=-1)],
            ["case.yaml: key 'schemes': no preset scheme 'rongchen'"],
        ),
        (
            lambda t: [_case(t, "scores: {rongcheng: {score: 1000", "scores: {sesame: {score: 1")],
            ["key 'checks[0].expected.scores.sesame': scheme 'sesame' is not in this case's"],
        ),
        (
            lambda t: [_case(t, "records:", "records: [\n")],
            ["case.yaml: not valid YAML"],
        ),
        (
            lambda t: [_case(t, "lists_in_force: []", "gates: {air.ticket: deny}")],
            ["key 'checks[0].expected.gates.air.ticket': the gate is not declared"],
        ),
        (lambda t: [TICKET_CASE, "--scheme", _bad_scheme(t)], ["bad.toml: not valid TOML"]),
        (lambda t: [TICKET_CASE, "--scheme", t / "none.toml"], ["none.toml: no such file"]),
        (
            lambda t: [TICKET_CASE, "--scheme", EXAMPLES / "my-city.toml"],
            ["--scheme", "no case names its scheme 'my-city'"],
        ),
    ],
)
def test_bad_input_exits_2_with_the_file_and_key(
    tmp_path: Path, args: object, fragments: list[str]
) -> None:
    result = run(*args(tmp_path))  # type: ignore[operator]
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    message = re.sub(r"\s+", " ", result.stderr)
    for fragment in fragments:
        assert fragment in message, message
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_xfail_cases_pass_while_the_engine_disagrees_and_fail_once_it_agrees(
    tmp_path: Path,
) -> None:
    text = TICKET_CASE.read_text(encoding="utf-8")
    marked = text.replace("schemes:", 'xfail: "a known bug"\nschemes:', 1)
    (tmp_path / "bug.yaml").write_text(marked.replace("score: 995", "score: 990", 1))
    shows = run(tmp_path / "bug.yaml")
    assert shows.exit_code == 0, shows.output
    assert shows.stdout.startswith("XFAIL ")
    assert "1 case(s): 1 xfailed" in shows.stdout
    (tmp_path / "bug.yaml").write_text(marked)
    fixed = run(tmp_path / "bug.yaml")
    assert fixed.exit_code == 1, fixed.output
    assert fixed.stdout.startswith("XPASS ")
    assert "marked xfail (a known bug) but the engine now agrees" in fixed.stdout
