"""The objection CLI end to end on the example file: file, review, decide (upheld: the wrong
listing is revoked), and the gate answer before and after; overdue listing; notices."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xinyong.drivers.cli.app import app

EXAMPLES = Path(__file__).parent.parent / "examples"
DEFAULTER = "440524188001010014"
runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "x.db")
    result = runner.invoke(
        app,
        ["ingest", str(EXAMPLES / "records.jsonl"), "--db", path, "--notices"],
        env={"XINYONG_CLOCK": "2025-06-01"},  # a replay: the store accepts them then
    )
    assert result.exit_code == 0, result.output
    assert "notices sent" in result.output
    return path


def run(*args: str, env: dict[str, str] | None = None) -> object:
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def gate(db: str, at: str, known_at: str) -> str:
    args = ["check", "rail.g-train", DEFAULTER, "--at", at, "--known-at", known_at, "--json"]
    d = run(*args, "--db", db)
    assert isinstance(d, dict)
    return str(d["decision"])


def test_objection_lifecycle_on_the_cli(db: str) -> None:
    case = run(
        "objections", "file", DEFAULTER, "--list", "spc-defaulters/dishonest-defaulters",
        "--reason", "paid", "--at", "2025-06-03T02:00:00Z", "--json", "--db", db,
    )  # fmt: skip
    assert isinstance(case, dict)
    oid = case["id"]
    assert case["deadlines"][0]["due"] == "2025-06-18"  # 15 days from Tue 3 June 2025
    late = run("objections", "list", "--overdue", "--at", "2025-06-19", "--json", "--db", db)
    assert [c["id"] for c in late] == [oid]  # type: ignore[union-attr]
    run("objections", "start-review", oid, "--at", "2025-06-04", "--json", "--db", db)
    decided = run(
        "objections", "decide", oid, "--upheld", "--revoke", "ct-2024-0004",
        "--reasons", "paid before listing", "--at", "2025-06-10T02:00:00Z", "--json", "--db", db,
        env={"XINYONG_CLOCK": "2025-06-10T02:00:00Z"},
    )  # fmt: skip
    assert isinstance(decided, dict)
    assert decided["status"] == "upheld"
    assert gate(db, "2025-07-01", "2025-06-09") == "deny"
    assert gate(db, "2025-07-01", "2025-07-01") == "allow"
    assert run("objections", "list", "--overdue", "--at", "2025-07-01", "--json", "--db", db) == []
    shown = run("objections", "show", oid, "--json", "--db", db)
    assert [e["kind"] for e in shown["history"]] == ["filed", "review_started", "decided"]  # type: ignore[index]
    notices = run("notices", DEFAULTER, "--json", "--db", db)
    assert isinstance(notices, list)
    # the listing ended on 2026-02-01, before today's ingest: no listing notice, only the decision
    assert [n["kind"] for n in notices] == ["objection_decision"]
    assert notices[0]["why"]["records"] == [f"{oid}-decision-revoke"]
    text = runner.invoke(app, ["notices", DEFAULTER, "--db", db]).output
    assert f"objection {oid} upheld" in text


def test_refusals_are_clear(db: str) -> None:
    r = runner.invoke(app, ["objections", "show", "obj-nope", "--db", db])
    assert r.exit_code == 2
    assert "no objection 'obj-nope'" in r.output
    r = runner.invoke(app, ["objections", "file", DEFAULTER, "--reason", "x", "--db", db])
    assert r.exit_code == 2
    assert "exactly one of --record" in r.output


def test_withdrawal_on_the_cli(db: str) -> None:
    case = run(
        "objections", "file", DEFAULTER, "--list", "spc-defaulters/dishonest-defaulters",
        "--reason", "paid", "--at", "2025-06-03T02:00:00Z", "--json", "--db", db,
    )  # fmt: skip
    assert isinstance(case, dict)
    oid = case["id"]
    done = run(
        "objections", "withdraw", oid, "--reason", "settled", "--at", "2025-06-05T02:00:00Z",
        "--json", "--db", db,
    )  # fmt: skip
    assert isinstance(done, dict)
    assert done["status"] == "withdrawn"
    assert done["withdrawal"] == {"at": "2025-06-05T02:00:00Z", "reason": "settled"}
    # the decision was due 2025-06-18; withdrawn before, so it is never overdue
    assert run("objections", "list", "--overdue", "--at", "2025-06-19", "--json", "--db", db) == []
    again = runner.invoke(app, ["objections", "withdraw", oid, "--db", db])
    assert again.exit_code != 0
    assert "was withdrawn" in again.output
