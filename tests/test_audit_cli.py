"""``xinyong audit``: output, exit codes, bad input (exit 2, file and key, no traceback)."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xinyong.adapters.audit_io import build_context, load_targets
from xinyong.core.audit import AuditError
from xinyong.core.errors import SchemeError
from xinyong.core.sanctions import parse_memorandum
from xinyong.drivers.cli.app import app
from xinyong.system.catalogue import catalogue, parse_catalogue

runner = CliRunner()
DATA = Path(__file__).parents[1] / "src" / "xinyong" / "data"


def test_json_lists_findings_with_article_source_and_fix() -> None:
    r = runner.invoke(app, ["audit", "joint-punishment-2016", "--profile", "eu-ai-act", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["summary"]["by_severity"] == {"high": 2, "medium": 0, "low": 0}
    f = doc["findings"][0]
    assert f["file"] == "memoranda/joint-punishment-2016.toml"
    assert f["key"] == "measures[1]"
    assert f["article"] == "Art. 5(1)(c)(i)"
    assert f["confidence"] == "S"
    assert "eur-lex.europa.eu" in f["source_url"]
    assert f["fix"]


def test_fail_on_sets_the_exit_code_at_or_above_the_severity() -> None:
    args = ["audit", "joint-punishment-2016", "--profile", "eu-ai-act"]
    assert runner.invoke(app, [*args, "--fail-on", "high"]).exit_code == 1
    clean = ["audit", "high-consumption-2015", "--profile", "eu-ai-act", "--fail-on", "low"]
    assert runner.invoke(app, clean).exit_code == 0


def test_unknown_profile_and_unknown_target_exit_2_without_traceback() -> None:
    r = runner.invoke(app, ["audit", "rongcheng", "--profile", "ccp"])
    assert r.exit_code == 2
    assert "no audit profile 'ccp'" in r.output
    assert "Traceback" not in r.output
    r = runner.invoke(app, ["audit", "atlantis"])
    assert r.exit_code == 2
    assert "'atlantis' is neither a preset scheme" in r.output
    r = runner.invoke(app, ["audit", "rongcheng", "--fail-on", "fatal"])
    assert r.exit_code == 2
    assert "'fatal' is not a severity" in r.output


def test_a_scheme_file_that_does_not_parse_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('kind = "points"\n[meta\n', encoding="utf-8")
    r = runner.invoke(app, ["audit", str(bad)])
    assert r.exit_code == 2
    assert f"{bad}: not valid TOML" in r.output


def test_a_memorandum_without_gate_domains_or_severity_names_file_and_key(tmp_path: Path) -> None:
    data = tomllib.loads((DATA / "memoranda" / "joint-punishment-2016.toml").read_text())
    del data["gate_domains"]["procurement.bid"]
    del data["measures"][0]["severity"]
    f = tmp_path / "memo.toml"
    f.write_text(_toml(data), encoding="utf-8")
    r = runner.invoke(app, ["audit", str(f)])
    assert r.exit_code == 2, r.output
    assert f"{f}: key 'gate_domains.\"procurement.bid\"': missing" in r.output
    assert f"{f}: key 'measures[0].severity': missing" in r.output


def test_a_category_without_a_domain_names_the_catalogue_key() -> None:
    cat = catalogue()
    broken = cat.model_copy(
        update={
            "categories": {
                **cat.categories,
                "traffic.violation": cat.categories["traffic.violation"].model_copy(
                    update={"domain": None}
                ),
            }
        }
    )
    schemes, memos = load_targets(["rongcheng"], everything=False)
    key = "data/catalogue.toml: key 'categories.\"traffic.violation\".domain': missing"
    with pytest.raises(AuditError, match=re.escape(key)):
        build_context(schemes, memos, broken)


def test_html_is_one_self_contained_page(tmp_path: Path) -> None:
    page = tmp_path / "audit.html"
    r = runner.invoke(app, ["audit", "--all", "--html", str(page)])
    assert r.exit_code == 0, r.output
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>")
    assert "jp.procurement" in text
    for external in ("<script", "<link", "<img", "src="):
        assert external not in text


def test_without_a_target_it_says_what_to_give() -> None:
    r = runner.invoke(app, ["audit"])
    assert r.exit_code == 2
    assert "or --all" in r.output


def _toml(data: dict[str, object]) -> str:
    """Just enough TOML writing for a memorandum (tables, arrays of tables, scalars)."""
    import io

    buf = io.StringIO()

    def scalar(v: object) -> str:
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False)
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, list):
            return "[" + ", ".join(scalar(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{json.dumps(k)} = {scalar(x)}" for k, x in v.items()) + " }"
        return str(v)

    for k, v in data.items():
        if not isinstance(v, dict | list) or (isinstance(v, list) and not v):
            buf.write(f"{k} = {scalar(v)}\n")
    for k, v in data.items():
        if isinstance(v, dict):
            buf.write(f"\n[{k}]\n")
            for kk, vv in v.items():
                buf.write(f"{json.dumps(kk)} = {scalar(vv)}\n")
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            for item in v:
                buf.write(f"\n[[{k}]]\n")
                for kk, vv in item.items():
                    buf.write(f"{kk} = {scalar(vv)}\n")
    return buf.getvalue()


def test_schemes_show_carries_the_audit_summary() -> None:
    r = runner.invoke(app, ["schemes", "show", "shenzhen-traffic", "--json"])
    assert r.exit_code == 0, r.output
    audit = json.loads(r.output)["audit"]
    assert audit["by_severity"]["high"] == 2
    assert "prc.minors@shenzhen-traffic:versions[0].lists[0]" in audit["ids"]


def test_a_profile_file_with_an_unknown_check_names_the_key(tmp_path: Path) -> None:
    text = (DATA / "audit_profiles" / "fcra.toml").read_text(encoding="utf-8")
    f = tmp_path / "mine.toml"
    f.write_text(text.replace('check = "notice"', 'check = "vibes"'), encoding="utf-8")
    r = runner.invoke(app, ["audit", "rongcheng", "--profile", str(f)])
    assert r.exit_code == 2
    assert f"{f}: key 'rules[2].check': 'vibes' is not a check" in r.output


def test_a_memorandum_on_an_unknown_scheme_is_named(tmp_path: Path) -> None:
    text = (DATA / "memoranda" / "joint-punishment-2016.toml").read_text(encoding="utf-8")
    f = tmp_path / "memo.toml"
    f.write_text(text.replace("spc-defaulters/", "nowhere/"), encoding="utf-8")
    r = runner.invoke(app, ["audit", str(f)])
    assert r.exit_code == 2
    assert f"{f}: key 'measures[0]': scheme 'nowhere' is not known" in r.output


def test_the_catalogue_refuses_an_undeclared_domain() -> None:
    text = (DATA / "catalogue.toml").read_text(encoding="utf-8")
    bad = text.replace('domain = "road-traffic"', 'domain = "roads"', 1)
    with pytest.raises(SchemeError, match=r"categories\.traffic\.violation\.domain.*'roads'"):
        parse_catalogue(bad, "data/catalogue.toml")


def test_a_memorandum_refuses_a_domain_for_an_undeclared_gate() -> None:
    data = tomllib.loads((DATA / "memoranda" / "rewards.toml").read_text(encoding="utf-8"))
    data["gate_domains"]["deposit.boat"] = "rentals"
    with pytest.raises(SchemeError, match=r"gate_domains.*'deposit.boat' is not declared"):
        parse_memorandum(data, "memoranda/rewards.toml")
