"""Credit repair and publication periods: the pure decision, the catalogue's rules, the store
path (append-only), the CLI and the public view of a list entry resting on a penalty."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from factories import ORG, make_record
from schemes_inline import META
from xinyong.adapters.store import open_store
from xinyong.core.errors import SchemeError
from xinyong.core.evaluate import evaluate_subject
from xinyong.core.records import Status
from xinyong.core.repair import RepairRequest, decide_repair
from xinyong.core.schemes import parse_scheme
from xinyong.drivers.cli.app import app
from xinyong.drivers.http.public import entry_view, published, shown
from xinyong.system.admission import ingest_records
from xinyong.system.catalogue import catalogue, parse_catalogue
from xinyong.system.repairs import publications, repair


def t(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def penalty(rid: str = "p1", cls: str = "general", day: str = "2026-05-01", **kw: Any) -> Any:
    return make_record(
        id=rid,
        subject=ORG,
        category=f"market.admin_penalty_{cls}",
        occurred_at=t(day),
        recorded_at=t(day),
        source="market-regulation",
        legal_basis="Administrative Penalty Law; decision",
        **kw,
    )


def ask(rid: str = "p1", filed: str = "2026-09-01", **kw: Any) -> RepairRequest:
    fields: dict[str, Any] = {
        "obligations_fulfilled": True,
        "obligations_reference": "receipt 1",
        "commitment": True,
        "commitment_text": "I will keep the law.",
    }
    fields.update(kw)
    return RepairRequest(ORG, rid, t(filed), **fields)


def decide(records: list[Any], request: RepairRequest, at: str | None = None) -> Any:
    cat = catalogue()
    when = t(at) if at else request.filed_at
    return decide_repair(request, records, cat.publication_classes(), cat.publication, when)


def test_granted_repair_is_an_expiry_record_at_the_decision() -> None:
    d = decide([penalty()], ask(), at="2026-09-04")
    assert d.granted, d.reasons
    rec = d.repair_record(source="credit-repair")
    assert (rec.status, rec.refers_to, rec.category) == (
        Status.EXPIRY,
        "p1",
        "market.admin_penalty_general",
    )
    assert rec.occurred_at == t("2026-09-04")
    assert rec.details["commitment"] == "I will keep the law."
    assert rec.legal_basis.startswith("credit repair under")


def test_every_failing_condition_is_named_at_once() -> None:
    d = decide(
        [penalty(cls="serious")],
        ask(filed="2026-11-02", obligations_fulfilled=False, commitment=False),
    )
    assert not d.granted
    assert d.reasons[0] == (
        "minimum publication period of 1y ends 2027-05-01; request filed 2026-11-02"
    )
    assert len(d.reasons) == 3
    assert d.conditions == {
        "minimum_period_served": False,
        "obligations_fulfilled": False,
        "written_commitment": False,
    }


def test_blank_proof_or_commitment_text_does_not_count() -> None:
    d = decide([penalty()], ask(obligations_reference="  ", commitment_text=""))
    assert not d.granted
    assert d.reasons == [
        "obligations fulfilled but no reference to the proof is given",
        "commitment given but its text is empty",
    ]


@pytest.mark.parametrize(
    ("records", "request_", "fragment"),
    [
        ([], ask(), "no record 'p1' in the credit file"),
        (
            [penalty(), make_record(id="v1", subject=ORG, status=Status.REVOCATION,
                                    refers_to="p1", category="market.admin_penalty_general",
                                    occurred_at=t("2026-06-01"), recorded_at=t("2026-06-01"))],
            ask(),
            "was revoked",
        ),
        (
            [make_record(id="p1", subject=ORG, category="court.listing_decision",
                         occurred_at=t("2026-05-01"), recorded_at=t("2026-05-01"))],
            ask(),
            "removal events",
        ),
        ([penalty(day="2022-01-01")], ask(), "no publication rules were in force"),
    ],
)  # fmt: skip
def test_refusals_say_why(records: list[Any], request_: RepairRequest, fragment: str) -> None:
    d = decide(records, request_)
    assert not d.granted
    assert any(fragment in r for r in d.reasons), d.reasons


def test_a_request_filed_after_the_decision_is_refused() -> None:
    d = decide([penalty()], ask(filed="2026-09-10"), at="2026-09-01")
    assert not d.granted
    assert "after the decision" in d.reasons[0]


def test_store_path_appends_once_and_then_refuses(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "x.db"))
    try:
        ingest_records(store, [penalty()])
        decision, rec = repair(store, ask(), t("2026-09-04"), record=True)
        assert decision.granted
        assert rec is not None
        assert store.get(rec.id) == rec
        assert store.count() == 2  # the penalty stays; the repair is added
        again, none = repair(store, ask(filed="2026-09-05"), t("2026-09-05"), record=True)
        assert not again.granted
        assert none is None
        assert "already ended on 2026-09-04" in again.reasons[0]
        pubs = publications(store.records_for(ORG), t("2026-09-05"))
        assert [p.shown(t("2026-09-05")) for p in pubs] == [False]
        assert "ended on 2026-09-04 by expiry or repair" in pubs[0].explain(t("2026-09-05"))
    finally:
        store.close()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('publication = true\nlegal_basis = "x"', "severity"), "needs a severity of minor"),
        (('min = "1y"\nmax = "3y"', 'min = "4y"\nmax = "3y"'), "min 4y is longer than max 3y"),
        (("published = false", 'published = false\nmin = "3mo"'), "not published has no min"),
        (("effective_from = 2026-04-01", "effective_from = 2020-01-01"), "strictly increase"),
        (('confidence = "S"', 'confidence = "maybe"'), "publication"),
    ],
)
def test_catalogue_publication_rules_are_validated_strictly(
    change: tuple[str, str], message: str
) -> None:
    text = (Path(__file__).parent.parent / "src/xinyong/data/catalogue.toml").read_text(
        encoding="utf-8"
    )
    old, new = change
    if old.endswith('legal_basis = "x"'):  # make a procedural category published
        text = text.replace(
            'severity = "procedural"\n', 'severity = "procedural"\npublication = true\n', 1
        )
    else:
        assert old in text
        text = text.replace(old, new, 1)
    with pytest.raises(SchemeError, match=message) as e:
        parse_catalogue(text, "catalogue.toml")
    assert "catalogue.toml" in str(e.value)


def _penalty_list_scheme() -> Any:
    return parse_scheme(
        {
            "kind": "lists",
            "meta": META,
            "versions": [
                {
                    "effective_from": "2020-01-01",
                    "lists": [
                        {
                            "id": "penalties",
                            "title": "Published penalties",
                            "polarity": "black",
                            "legal_basis": "toy",
                            "published_fields": ["organisation.uscc", "case_number"],
                            "entries": [
                                {
                                    "kind": "record",
                                    "categories": [
                                        "market.admin_penalty_general",
                                        "market.admin_penalty_minor",
                                    ],
                                    "term": "until-removal",
                                    "legal_basis": "toy art. 1",
                                }
                            ],
                            "objection": {"body": "b", "how": "h", "decision_within": "15 days"},
                        }
                    ],
                }
            ],
        },
        "inline",
    )


def test_public_view_of_a_list_entry_respects_the_publication_period() -> None:
    scheme = _penalty_list_scheme()
    records = [penalty(evidence="case-9"), penalty("m1", cls="minor", evidence="case-10")]
    by_id = {r.id: r for r in records}
    fields = ["organisation.uscc", "case_number"]

    def entries(at: datetime) -> dict[str, Any]:
        view = evaluate_subject({"toy": scheme}, ORG, records, at)
        return {str(e.cause["record_id"]): e for e in view.in_force()}

    during = t("2027-04-30")
    got = entries(during)
    assert set(got) == {"p1", "m1"}  # both on the (toy) list ...
    assert shown(got["p1"], by_id, during)
    assert published(fields, got["p1"], ORG, during, grade=None, records=by_id) == {
        "organisation.uscc": ORG,
        "case_number": "case-9",
    }
    assert not shown(got["m1"], by_id, during)  # ... but a 2026 minor penalty is never shown
    assert published(fields, got["m1"], ORG, during, grade=None, records=by_id) == {}
    after = t("2027-05-01")  # one year: the maximum for a general penalty
    late = entries(after)["p1"]
    assert not shown(late, by_id, after)
    view = entry_view(fields, late, ORG, after, grade=None, records=by_id)
    assert view["fields"] == {}
    assert "stopped showing by itself on 2027-05-01" in view["explanation"]


runner = CliRunner()


def test_cli_repair_check_then_request(tmp_path: Path) -> None:
    db = str(tmp_path / "x.db")
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(penalty().to_dict()) + "\n", encoding="utf-8")
    assert runner.invoke(app, ["ingest", str(path), "--db", db]).exit_code == 0
    base = ["--record", "p1", "--at", "2026-07-01", "--db", db]
    early = runner.invoke(app, ["repair", "check", ORG, *base, "--json"])
    assert early.exit_code == 1
    body = json.loads(early.stdout)
    assert body["decision"] == "refused"
    assert len(body["reasons"]) == 3  # minimum period, obligations, commitment
    proof = ["--obligations-fulfilled", "receipt 7", "--commitment", "I will keep the law."]
    later = ["--record", "p1", "--at", "2026-09-04", "--db", db, *proof]
    checked = runner.invoke(app, ["repair", "check", ORG, *later])
    assert checked.exit_code == 0, checked.output
    assert "granted" in checked.output
    assert "would be recorded" in checked.output
    done = runner.invoke(app, ["repair", "request", ORG, *later, "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["recorded"] is True
    again = runner.invoke(app, ["repair", "request", ORG, *later])
    assert again.exit_code == 1
    assert "already ended" in again.output
