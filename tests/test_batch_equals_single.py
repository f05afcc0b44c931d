"""The batch scorer agrees with the reference engine, subject by subject, exactly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xinyong.adapters.batch import records_frame, resolve_frame, score_population
from xinyong.adapters.batch.score import FACTOR_PREFIX
from xinyong.core.records import Record, Status, resolve
from xinyong.core.schemes.model import parse_scheme
from xinyong.core.scoring.engine import NoVersionInForce, score_subject
from xinyong.core.timeutil import Duration

CATEGORIES = ["a", "b", "c", "d", "e"]
VALIDITIES = ["1mo", "2mo", "1y", "2y", "30d", "1mo3d", "0d", "2w", "1y6mo", "3mo", "6mo"]
START = datetime(2023, 11, 1, tzinfo=UTC)
TIMES = [
    timedelta(0),
    timedelta(microseconds=1),
    timedelta(hours=1),
    timedelta(hours=12),
    timedelta(hours=23),
    timedelta(hours=23, minutes=59, seconds=59, microseconds=999_999),
]
STATUSES = [Status.ACTIVE] * 6 + [Status.CORRECTION, Status.REVOCATION, Status.EXPIRY]
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- schemes -----------------------------------------------------------------------------------


def _meta() -> dict[str, Any]:
    return {
        "name": "test",
        "title": "Test",
        "jurisdiction": "nowhere",
        "description": "generated",
        "default_confidence": "V",
        "sources": [{"id": "s", "title": "S", "confidence": "V"}],
    }


def _rule(category: str, points: int, validity: str, cap: int | None, factor: str | None) -> Any:
    rule: dict[str, Any] = {
        "category": category,
        "points": points,
        "validity": validity,
        "legal_basis": "law",
        "description": f"{category} {points}",
    }
    if cap is not None:
        rule["cap"] = cap
    if factor is not None:
        rule["factor"] = factor
    return rule


@st.composite
def _bands(draw: st.DrawFn, low: int, high: int) -> list[dict[str, Any]]:
    mins = sorted(draw(st.sets(st.integers(low, high), max_size=3)), reverse=True)
    grades = ["A", "B", "C", "D"][: len(mins) + 1]
    return [{"grade": g, "min": m} for g, m in zip(grades, mins, strict=False)] + [
        {"grade": grades[-1]}
    ]


@st.composite
def _overrides(draw: st.DrawFn, grades: list[str]) -> list[dict[str, Any]]:
    n = draw(st.integers(0, 2))
    return [
        {
            "categories": draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=2)),
            "max_grade": draw(st.sampled_from(grades)),
            "validity": draw(st.sampled_from(VALIDITIES)),
            "legal_basis": "law",
            "description": "override",
        }
        for _ in range(n)
    ]


@st.composite
def _version_days(draw: st.DrawFn) -> list[date]:
    first = draw(st.integers(-60, 10))  # usually in force before most records
    later = draw(st.sets(st.integers(first + 1, 150), max_size=2))
    return [(START + timedelta(days=d)).date() for d in sorted({first, *later})]


@st.composite
def schemes(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from(["points", "scorecard", "tiers"]))
    factor_ids = ["f1", "f2", "f3"][: draw(st.integers(1, 3))]
    versions = []
    for day in draw(_version_days()):
        rules = [
            _rule(
                c,
                draw(st.integers(-6, 6)),
                draw(st.sampled_from(VALIDITIES)),
                draw(st.none() | st.integers(-8, 8)),
                draw(st.sampled_from(factor_ids)) if kind == "scorecard" else None,
            )
            for c in draw(st.lists(st.sampled_from(CATEGORIES), unique=True, min_size=2))
        ]
        v: dict[str, Any] = {"effective_from": day.isoformat(), "rules": rules}
        if kind == "points":
            v["base"] = draw(st.integers(-5, 20))
            v["floor"] = draw(st.none() | st.integers(-10, 8))
            v["ceiling"] = draw(st.none() | st.integers(max(5, v["floor"] or 5), 30))
            v["bands"] = draw(_bands(-10, 25))
        elif kind == "scorecard":
            # a factor may be missing from a later version; weights may be 0
            present = draw(st.lists(st.sampled_from(factor_ids), unique=True, min_size=1))
            v["factors"] = [
                {"id": f, "title": f, "weight": w, "base": draw(st.integers(0, 1000))}
                for f, w in zip(present, [draw(st.integers(0, 5)) for _ in present], strict=True)
            ]
            if sum(f["weight"] for f in v["factors"]) <= 0:
                v["factors"][0]["weight"] = 1
            ids = {f["id"] for f in v["factors"]}
            for r in rules:
                if r["factor"] not in ids:
                    r["factor"] = v["factors"][0]["id"]
            v["range_min"] = draw(st.integers(0, 400))
            v["range_max"] = v["range_min"] + draw(st.integers(1, 600))
            v["bands"] = draw(_bands(v["range_min"], v["range_max"]))
        else:
            v["tiers"] = [
                {
                    "name": name,
                    "negative_at_least": draw(st.none() | st.integers(0, 3)),
                    "negative_at_most": draw(st.none() | st.integers(0, 3)),
                    "positive_at_least": draw(st.none() | st.integers(0, 3)),
                }
                for name in draw(st.lists(st.sampled_from(["good", "bad", "watch"]), unique=True))
            ]
            v["default_tier"] = "none"
        if kind != "tiers":
            v["overrides"] = draw(_overrides([b["grade"] for b in v["bands"]]))
        versions.append(v)
    # later versions' factors must cover their rules: done above; scorecard rules of earlier
    # versions may name factors a later version lacks (their points are then dropped)
    return parse_scheme({"meta": _meta(), "kind": kind, "versions": versions}, "generated")


# --- records -----------------------------------------------------------------------------------


def _instants(low: int, high: int, start: datetime = START) -> st.SearchStrategy[datetime]:
    return st.builds(
        lambda d, t: start + timedelta(days=d) + t, st.integers(low, high), st.sampled_from(TIMES)
    )


moments = _instants(20, 190)  # at, known_at (records: -40..150 days from START)


@st.composite
def files(
    draw: st.DrawFn,
    categories: tuple[str, ...] = (*CATEGORIES, "z"),
    start: datetime = START,
    days: tuple[int, int] = (-40, 150),
) -> list[Record]:
    """Records of a few subjects; ids repeat across subjects (refs stay within one)."""
    instants = _instants(*days, start=start)
    out: list[Record] = []
    for s in draw(st.lists(st.sampled_from(["S1", "S2", "S3", "S4"]), unique=True, max_size=4)):
        mine: list[Record] = []
        for i in range(draw(st.integers(1, 12))):
            status = draw(st.sampled_from(STATUSES) if mine else st.just(Status.ACTIVE))
            occurred = draw(instants)
            refers = None
            if status is not Status.ACTIVE:
                # usually an active record of this subject; sometimes an amendment or unknown id
                target = draw(st.sampled_from([*mine, None]))
                refers = "nope" if target is None else target.id
                if status is Status.EXPIRY and target is not None:  # often soon after it
                    occurred = target.occurred_at + draw(
                        st.sampled_from([timedelta(0), *TIMES[1:], timedelta(20)])
                    )
            recorded = occurred + draw(st.sampled_from([timedelta(0), *TIMES[1:], timedelta(9)]))
            mine.append(
                Record(
                    id=f"r{i}",
                    subject=s,
                    category=draw(st.sampled_from(categories)),
                    occurred_at=occurred,
                    recorded_at=recorded,
                    source="src",
                    legal_basis="law",
                    status=status,
                    refers_to=refers,
                )
            )
        out.extend(mine)
    return out


def _check(scheme: Any, records: list[Record], at: datetime, known_at: datetime | None) -> None:
    frame = records_frame(records)
    try:
        batch = score_population(scheme, frame, at, known_at)
    except NoVersionInForce:
        with pytest.raises(NoVersionInForce):
            score_subject(scheme, "S1", records, at, known_at)
        return
    # both Polars engines give the same frame (the in-memory one once broke on one band)
    in_memory = score_population(scheme, frame, at, known_at, engine="in-memory")
    assert in_memory.sort("subject").equals(batch.sort("subject"))
    rows = {r["subject"]: r for r in batch.iter_rows(named=True)}
    assert set(rows) == {r.subject for r in records}
    for subject, row in rows.items():
        ref = score_subject(scheme, subject, records, at, known_at)
        assert (row["score"], row["grade"]) == (ref.score, ref.grade), subject
        for f in ref.factors:
            assert row[FACTOR_PREFIX + f.id] == f.value, (subject, f.id)


@SETTINGS
@given(schemes(), files(), moments, st.none() | moments)
def test_score_population_equals_score_subject(
    scheme: Any, records: list[Record], at: datetime, known_at: datetime | None
) -> None:
    _check(scheme, records, at, known_at)


@SETTINGS
@given(files(), moments)
def test_resolve_frame_equals_resolve(records: list[Record], known_at: datetime) -> None:
    effective, voided = resolve_frame(records_frame(records), known_at)
    got = {
        (r["subject"], r["id"]): (r["category"], r["occurred_at"], r["ends_at"], r["amended_by"])
        for r in effective.iter_rows(named=True)
    }
    got_voided = {(r["subject"], r["id"]): r["revoked_by"] for r in voided.iter_rows(named=True)}
    want: dict[tuple[str, str], Any] = {}
    want_voided: dict[tuple[str, str], str] = {}
    for s in {r.subject for r in records}:
        eff, vd = resolve([r for r in records if r.subject == s], known_at)
        for e in eff:
            want[(s, e.record.id)] = (
                e.record.category,
                e.record.occurred_at,
                e.ends_at,
                list(e.amended_by),
            )
        for v in vd:
            want_voided[(s, v.record.id)] = v.revoked_by
    assert got == want
    assert got_voided == want_voided


@pytest.mark.parametrize(
    "name", ["rongcheng", "sesame", "honest-shanghai", "shenzhen-traffic", "suining-2010"]
)
def test_presets_score_alike(name: str) -> None:
    from xinyong.system.schemes_io import preset

    scheme = preset(name)
    cats = (*sorted({r.category for v in scheme.versions for r in v.rules}), "other")
    first = datetime.combine(scheme.versions[0].effective_from, datetime.min.time(), UTC)
    last = datetime.combine(scheme.versions[-1].effective_from, datetime.min.time(), UTC)
    span = (last - first).days + 800

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        files(cats, first, (-30, span)),
        _instants(0, span + 60, first),
        st.none() | _instants(0, span + 60, first),
    )
    def check(records: list[Record], at: datetime, known_at: datetime | None) -> None:
        _check(scheme, records, at, known_at)

    check()


# --- deterministic cases -----------------------------------------------------------------------


def _points(rules: list[Any], **extra: Any) -> Any:
    version = {
        "effective_from": "2020-01-01",
        "base": 100,
        "rules": rules,
        "bands": [{"grade": "A", "min": 100}, {"grade": "B", "min": 90}, {"grade": "C"}],
        **extra,
    }
    return parse_scheme({"meta": _meta(), "kind": "points", "versions": [version]}, "t")


def _rec(i: int, category: str, occurred: datetime, **kw: Any) -> Record:
    return Record(
        id=f"r{i}",
        subject=kw.pop("subject", "S1"),
        category=category,
        occurred_at=occurred,
        recorded_at=kw.pop("recorded_at", occurred),
        source="src",
        legal_basis="law",
        **kw,
    )


def _score(scheme: Any, records: list[Record], at: datetime) -> tuple[Any, Any]:
    row = score_population(scheme, records_frame(records), at).row(0, named=True)
    ref = score_subject(scheme, "S1", records, at)
    assert (row["score"], row["grade"]) == (ref.score, ref.grade)
    return row["score"], row["grade"]


def test_cap_limits_a_categorys_total() -> None:
    scheme = _points([_rule("late", -3, "1y", 5, None)])
    t = datetime(2024, 1, 1, tzinfo=UTC)
    records = [_rec(i, "late", t + timedelta(days=i)) for i in range(3)]
    assert _score(scheme, records, t + timedelta(days=10)) == (95, "B")


def test_override_caps_grade_until_an_expiry_ends_it() -> None:
    override = {
        "categories": ["drunk"],
        "max_grade": "C",
        "validity": "2y",
        "legal_basis": "law",
        "description": "drunk driving",
    }
    scheme = _points([_rule("good", 5, "1y", None, None)], overrides=[override])
    t = datetime(2024, 1, 1, tzinfo=UTC)
    drunk = _rec(1, "drunk", t)
    records = [_rec(0, "good", t), drunk]
    assert _score(scheme, records, t + timedelta(days=30)) == (105, "C")
    expiry = _rec(2, "drunk", t + timedelta(days=20), status=Status.EXPIRY, refers_to="r1")
    assert _score(scheme, [*records, expiry], t + timedelta(days=30)) == (105, "A")


@pytest.mark.parametrize(
    ("occurred", "at", "counts"),
    [
        # leap year: Jan 31 + 1mo = Feb 29
        ("2024-01-31T00:00:00", "2024-02-28T23:59:00", True),
        ("2024-01-31T00:00:00", "2024-02-29T00:00:00", False),
        ("2024-01-31T00:00:00", "2024-03-01T00:00:00", False),
        # common year: Jan 31 + 1mo = Feb 28, at the record's time of day
        ("2023-01-31T00:00:00", "2023-02-27T23:59:59", True),
        ("2023-01-31T00:00:00", "2023-02-28T00:00:00", False),
        ("2023-01-31T12:00:00", "2023-02-28T11:59:59", True),
        ("2023-01-31T12:00:00", "2023-02-28T23:59:00", False),
        # clamping is not monotone in the time of day: Jan 30 23:00 outlives Jan 31 01:00
        ("2023-01-30T23:00:00", "2023-02-28T12:00:00", True),
        ("2023-01-31T01:00:00", "2023-02-28T12:00:00", False),
    ],
)
def test_month_end_validity(occurred: str, at: str, counts: bool) -> None:
    scheme = _points([_rule("late", -1, "1mo", None, None)])
    t0 = datetime.fromisoformat(occurred).replace(tzinfo=UTC)
    t1 = datetime.fromisoformat(at).replace(tzinfo=UTC)
    assert _score(scheme, [_rec(0, "late", t0)], t1)[0] == (99 if counts else 100)


@pytest.mark.parametrize("validity", ["1mo", "1y", "2y", "1y6mo", "1mo3d", "13mo", "2w"])
def test_polars_offset_by_agrees_with_dateutil(validity: str) -> None:
    d = Duration.parse(validity)
    days = [date(2023, 1, 1) + timedelta(days=i) for i in range(0, 800, 1)]
    times = [datetime(x.year, x.month, x.day, 7, 30, tzinfo=UTC) for x in days]
    got = pl.Series(times, dtype=pl.Datetime("us", "UTC")).dt.offset_by(d.polars).to_list()
    assert got == [d.after(x) for x in times]


def test_records_frame_matches_the_store_frame_schema() -> None:
    from xinyong.core.records import FIELDS
    from xinyong.system.record_store import FRAME_SCHEMA as STORE

    frame = records_frame([_rec(0, "late", datetime(2024, 1, 1, tzinfo=UTC))])
    cols = [*FIELDS, "ingested_at"]  # the record fields, then when the store accepted it
    assert frame.columns == cols
    assert {c: frame.schema[c] for c in cols} == {c: STORE[c] for c in cols}


def test_string_and_enum_columns_score_alike() -> None:
    scheme = _points([_rule("late", -3, "1y", 5, None), _rule("good", 2, "6mo", None, None)])
    t = datetime(2024, 1, 1, tzinfo=UTC)
    records = [_rec(i, ["late", "good", "other"][i % 3], t + timedelta(days=i)) for i in range(9)]
    records.append(_rec(9, "good", t, status=Status.CORRECTION, refers_to="r0"))
    frame = records_frame(records)
    at = t + timedelta(days=20)
    base = score_population(scheme, frame, at).sort("subject")
    as_text = frame.with_columns(pl.col("category", "status").cast(pl.String))
    as_enum = frame.with_columns(
        pl.col("category").cast(pl.Enum(["other", "good", "late", "x"])),
        pl.col("status").cast(pl.Enum(["revocation", "active", "correction", "expiry"])),
    )
    for f in (as_text, as_enum):
        assert score_population(scheme, f, at).sort("subject").equals(base)
    assert base.row(0) == ("S1", 103, "A")  # 100 + 4 x 2 (r0 corrected) - cap 5


def test_lists_lazy_and_empty_frames() -> None:
    from xinyong.system.schemes_io import preset

    t = datetime(2024, 1, 1, tzinfo=UTC)
    records = [_rec(0, "late", t), _rec(1, "late", t, subject="S2")]
    lists = score_population(preset("spc-defaulters"), records_frame(records), t)
    assert sorted(lists.rows()) == [("S1", None, None), ("S2", None, None)]
    scheme = _points([_rule("late", -3, "1y", None, None)])
    lazy = score_population(scheme, records_frame(records).lazy(), t + timedelta(days=1))
    assert sorted(lazy.rows()) == [("S1", 97, "B"), ("S2", 97, "B")]
    assert score_population(scheme, records_frame([]), t).height == 0
