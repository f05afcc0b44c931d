"""Each audit check on a scheme or memorandum built to trigger it, and on one that does not."""

from __future__ import annotations

from audit_inline import (
    GRADE_D,
    OBJECTION,
    black_list,
    context,
    listed_by_court,
    measure,
    memo,
    scheme,
)
from xinyong.core.audit import checks_basis, checks_context, checks_data, checks_procedure
from xinyong.core.publication import Regime

GRADED = scheme([black_list([GRADE_D])])


def test_cross_context_flags_a_traffic_record_costing_a_train_seat() -> None:
    hits = checks_context.cross_context(context(GRADED, memo(measure())), {})
    assert [h.key for h in hits] == ["measures[0]"]
    assert "road-traffic: traffic.drunk_driving, traffic.violation" in hits[0].found
    assert any("grade D (score below 900) -> toy/black" in step for step in hits[0].path)


def test_cross_context_accepts_a_declared_relation_and_the_same_context() -> None:
    related = {"road-traffic": frozenset({"travel"})}
    assert not checks_context.cross_context(context(GRADED, memo(measure()), related=related), {})
    same = memo(measure(), domain="road-traffic")
    assert not checks_context.cross_context(context(GRADED, same), {})


def test_cross_context_only_looks_at_the_effects_asked_for() -> None:
    assert not checks_context.cross_context(
        context(GRADED, memo(measure())), {"effects": ["benefit"]}
    )


def test_disproportion_shows_the_path_from_a_minor_offence_to_a_severe_measure() -> None:
    hits = checks_context.disproportion(context(GRADED, memo(measure(severity="severe"))), {})
    assert len(hits) == 1
    assert "severe, but minor conduct (traffic.violation)" in hits[0].found
    assert hits[0].path == (
        "traffic.violation: -5 points for 1y -> grade D (score below 900) -> toy/black"
        " -> m.rail (severe)",
    )


def test_disproportion_accepts_a_measure_no_heavier_than_the_least_grave_trigger() -> None:
    assert not checks_context.disproportion(context(GRADED, memo(measure(severity="minor"))), {})
    court = scheme([black_list([listed_by_court()])])
    assert not checks_context.disproportion(context(court, memo(measure(severity="severe"))), {})


def test_disproportion_follows_a_count_threshold() -> None:
    threshold = {
        "kind": "threshold",
        "categories": ["traffic.violation"],
        "count": 5,
        "window": "1y",
        "term": "1y",
        "legal_basis": "toy art. 12",
    }
    s = scheme([black_list([threshold])])
    hits = checks_context.disproportion(context(s, memo(measure(severity="severe"))), {})
    assert hits
    assert "5 records within 1y -> toy/black" in hits[0].path[0]


def test_legal_basis_flags_a_rank_the_order_does_not_accept_and_a_blank_basis() -> None:
    params = {"accepted_ranks": ["law"]}
    bad = memo(measure(basis_rank="departmental"), measure(id="m.blank", legal_basis=" "))
    hits = checks_basis.legal_basis(context(GRADED, bad), params)
    assert [h.key for h in hits] == ["measures[0]", "measures[1]"]
    assert "rank 'departmental'" in hits[0].found
    assert "no legal basis" in hits[1].found
    assert not checks_basis.legal_basis(context(GRADED, memo(measure())), params)


def test_unverified_flags_measures_and_schemes_marked_u() -> None:
    hits = checks_basis.unverified(context(GRADED, memo(measure(confidence="U"))), {})
    assert [h.key for h in hits] == ["measures[0]", "versions"]  # the toy heroic act is U
    verified = scheme([black_list([GRADE_D])], rules=[_rule("traffic.violation", -5, "1y")])
    assert not checks_basis.unverified(context(verified, memo(measure())), {})


def test_term_without_end_flags_an_open_ended_entry_and_accepts_a_removal_route() -> None:
    open_ended = scheme([black_list([listed_by_court(term="until-removal")])])
    assert checks_procedure.term_without_end(context(open_ended), {})
    removals = [{"categories": ["court.performance"], "legal_basis": "x", "description": "paid"}]
    removable = scheme([black_list([listed_by_court(term="until-removal")], removals=removals)])
    assert checks_procedure.term_without_end(context(removable), {})
    assert not checks_procedure.term_without_end(
        context(removable), {"removal_route_suffices": True}
    )
    assert not checks_procedure.term_without_end(context(GRADED), {})


def test_objection_route_needs_a_deadline_within_the_limit() -> None:
    def with_deadline(text: str) -> list[str]:
        s = scheme([black_list([GRADE_D], objection={**OBJECTION, "decision_within": text})])
        return [h.found for h in checks_procedure.objection_route(context(s), {"max_days": 30})]

    assert with_deadline("15 days") == []
    assert with_deadline("1-2 working days") == []
    assert "states no deadline" in with_deadline("not documented (U)")[0]
    assert "allows 45 days" in with_deadline("45 days")[0]


def test_objection_route_flags_a_denial_on_a_score_alone() -> None:
    by_score = measure(lists=[], score={"scheme": "toy", "at_least": 1}, id="m.score")
    hits = checks_procedure.objection_route(context(GRADED, memo(by_score)), {})
    assert [h.found for h in hits] == [
        "m.score denies on a score alone: there is no list entry to object to"
    ]


def test_notice_needs_a_way_to_dispute_and_reasons() -> None:
    mute = scheme([black_list([GRADE_D], objection={**OBJECTION, "how": ""})])
    assert [h.key for h in checks_procedure.notice(context(mute), {})] == [
        "versions[0].lists[0].objection"
    ]
    assert [
        h.key for h in checks_procedure.notice(context(GRADED, memo(measure(description=""))), {})
    ] == ["measures[0]"]
    assert not checks_procedure.notice(context(GRADED, memo(measure())), {})


def test_human_review_flags_automatic_listing_but_not_a_court_decision() -> None:
    hits = checks_procedure.human_review(context(GRADED), {})
    assert len(hits) == 1
    assert "listed automatically (grade entry)" in hits[0].found
    court = scheme([black_list([listed_by_court()])])
    assert not checks_procedure.human_review(context(court), {})


def test_sensitive_data_flags_only_the_kinds_the_profile_names() -> None:
    s = scheme(rules=[_rule("civic.blood_donation", 5, "1y")])
    assert checks_data.sensitive_data(context(s), {"kinds": ["health"]})[0].found == (
        "civic.blood_donation reveals health data"
    )
    assert not checks_data.sensitive_data(context(s), {"kinds": ["biometric"]})


def test_minors_flags_a_list_without_exclusion_and_a_measure_on_children() -> None:
    no_exclusion = scheme([black_list([GRADE_D], exclusions=[])])
    assert checks_data.minors(context(no_exclusion), {})
    assert not checks_data.minors(context(GRADED, memo(measure())), {})
    on_children = memo(measure(reaches=["children"]))
    assert [h.key for h in checks_data.minors(context(GRADED, on_children), {})] == ["measures[0]"]


def test_others_records_flags_a_measure_that_reaches_other_persons() -> None:
    assert checks_data.others_records(context(GRADED, memo(measure(reaches=["family"]))), {})
    assert not checks_data.others_records(context(GRADED, memo(measure())), {})


def test_retention_flags_validity_and_terms_over_the_limit() -> None:
    long = scheme(rules=[_rule("traffic.violation", -5, "8y")])
    assert (
        "counts for 8y, over 7 years"
        in checks_data.retention(context(long), {"max_years": 7})[0].found
    )
    short = scheme(rules=[_rule("traffic.violation", -5, "5y")])
    assert not checks_data.retention(context(short), {"max_years": 7})
    open_ended = scheme([black_list([listed_by_court(term="until-removal")])], rules=[])
    assert checks_data.retention(context(open_ended), {"max_years": 7})


def test_retention_flags_a_record_counted_although_not_published() -> None:
    regime = Regime.model_validate(
        {
            "id": "r",
            "title": "r",
            "effective_from": "2019-01-01",
            "legal_basis": "x",
            "minor": {"published": False, "confidence": "S", "source": "x"},
            "general": {"min": "3mo", "max": "1y", "confidence": "S", "source": "x"},
            "serious": {"min": "1y", "max": "3y", "confidence": "S", "source": "x"},
        }
    )
    s = scheme(rules=[_rule("market.admin_penalty_minor", -1, "1y")])
    hits = checks_data.retention(context(s, regimes=(regime,)), {"publication": True})
    assert [h.found for h in hits] == [
        "market.admin_penalty_minor (minor) counts although r does not publish it"
    ]
    assert not checks_data.retention(context(s, regimes=(regime,)), {})


def _rule(category: str, points: int, validity: str) -> dict[str, object]:
    return {
        "category": category,
        "points": points,
        "validity": validity,
        "legal_basis": "toy art. 1",
        "description": "toy rule",
    }
