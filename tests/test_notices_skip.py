"""The notice step evaluates the earlier file only over :func:`schemes_to_compare` (or not at
all when it is empty); the notices must be exactly those of a full earlier evaluation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from factories import PERSON, make_record
from xinyong.core.evaluate import evaluate_subject
from xinyong.core.notices import adverse_changes, schemes_to_compare
from xinyong.core.records import Record
from xinyong.core.sanctions import Memorandum
from xinyong.system.catalogue import categories_for
from xinyong.system.procedures_io import objection_rules, work_calendar
from xinyong.system.schemes_io import all_memoranda, all_presets, preset

SCHEMES = all_presets()
MEMORANDA = all_memoranda()
CATEGORIES = sorted(categories_for(SCHEMES))
AT = datetime(2026, 11, 20, 4, tzinfo=UTC)


@st.composite
def files(draw: st.DrawFn) -> list[Record]:
    out = []
    for i in range(draw(st.integers(0, 8))):
        when = AT - timedelta(days=draw(st.integers(1, 900)))
        category = draw(st.sampled_from(CATEGORIES))
        out.append(
            make_record(
                id=f"r{i}",
                category=category,
                occurred_at=when,
                recorded_at=when + timedelta(days=1),
                amount=float(draw(st.integers(1, 50_000))),
                severity=draw(st.sampled_from([None, "minor", "general", "serious"])),
                details={"ground": draw(st.integers(1, 6))} if "court" in category else {},
            )
        )
    return out


def _notices(
    before_records: list[Record], after_records: list[Record], memoranda: list[Memorandum],
    narrow: bool,
) -> list[str]:  # fmt: skip
    after = evaluate_subject(SCHEMES, PERSON, after_records, AT)
    need = schemes_to_compare(after, memoranda) if narrow else None
    if need is not None and not need:
        return []
    scope = SCHEMES if need is None else {k: SCHEMES[k] for k in need}
    before = evaluate_subject(scope, PERSON, before_records, AT)
    got = adverse_changes(before, after, memoranda, objection_rules(), work_calendar(), "t")
    return [f"{n.id} {n.kind} {n.what}" for n in got]


@settings(max_examples=80, deadline=None)
@given(files(), st.data())
def test_narrowed_earlier_evaluation_gives_the_same_notices(
    mine: list[Record], data: st.DataObject
) -> None:
    keep = data.draw(st.lists(st.booleans(), min_size=len(mine), max_size=len(mine)))
    old = [r for r, k in zip(mine, keep, strict=True) if k]
    for memoranda in (MEMORANDA, []):  # without memoranda, only listings can be news
        for before, after in ((old, mine), (mine, old), ([], mine)):
            narrowed = _notices(before, after, memoranda, narrow=True)
            assert narrowed == _notices(before, after, memoranda, narrow=False)


def test_what_is_compared() -> None:
    listing = make_record(
        category="court.listing_decision",
        occurred_at=AT - timedelta(days=3),
        recorded_at=AT - timedelta(days=2),
        details={"ground": 2},
    )
    assert schemes_to_compare(evaluate_subject(SCHEMES, PERSON, [listing], AT), MEMORANDA) is None
    # a clean file: only sesame's score (590 at the start) is below a reward's threshold
    clean = evaluate_subject(SCHEMES, PERSON, [], AT)
    assert schemes_to_compare(clean, MEMORANDA) == {"sesame"}
    courts = {"spc-defaulters": preset("spc-defaulters")}
    assert schemes_to_compare(evaluate_subject(courts, PERSON, [], AT), MEMORANDA) == set()
