"""Properties of the store and ingest: order does not matter, re-ingest changes nothing, the
fast canonical encoding is exactly the record's content hash."""

from __future__ import annotations

import random
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from factories import ORG, PERSON, write_jsonl
from xinyong.adapters.store import RecordStore, open_store
from xinyong.core.records import Record, Status, resolve
from xinyong.system.admission import ingest_file, ingest_records
from xinyong.system.record_store import canonical, details_json

STORE_SETTINGS = settings(max_examples=40, deadline=None)

text = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
zones = st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-3.5))])
instants = st.datetimes(
    min_value=datetime(1901, 1, 1), max_value=datetime(2099, 1, 1), timezones=zones
)
detail_values = st.one_of(
    text, st.integers(), st.booleans(), st.floats(allow_nan=False, allow_infinity=False)
)
records = st.builds(
    Record,
    id=text,
    subject=text,
    category=text,
    occurred_at=instants,
    recorded_at=instants,
    source=text,
    legal_basis=text,
    evidence=text,
    amount=st.none() | st.floats() | st.integers(-5, 5),
    severity=st.none() | text,
    status=st.sampled_from(Status),
    refers_to=st.none() | text,
    details=st.dictionaries(text, detail_values, max_size=4),
)


@given(records)
def test_fast_canonical_is_the_content_hash(record: Record) -> None:
    dj, h = canonical(record)
    assert h == record.content_hash()
    assert dj == details_json(dict(sorted(record.details.items())))


# -- a small world of originals and amendments


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[Record], list[Record]]:
    """(originals, amendments): valid records for two subjects, amendments refer to originals."""
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    originals = []
    for i in range(draw(st.integers(1, 8))):
        occurred = t0 + timedelta(days=draw(st.integers(0, 60)))
        originals.append(
            Record(
                id=f"o{i}",
                subject=draw(st.sampled_from([PERSON, ORG])),
                category=draw(st.sampled_from(["tax.arrears", "traffic.violation"])),
                occurred_at=occurred,
                recorded_at=occurred + timedelta(days=draw(st.integers(0, 30))),
                source="src",
                legal_basis="law",
                amount=draw(st.none() | st.floats(0, 1000)),
            )
        )
    amendments = []
    for j in range(draw(st.integers(0, 8))):
        target = draw(st.sampled_from(originals))
        status = draw(st.sampled_from([Status.CORRECTION, Status.REVOCATION, Status.EXPIRY]))
        recorded = target.recorded_at + timedelta(days=draw(st.integers(0, 90)))
        amendments.append(
            Record(
                id=f"a{j}",
                subject=target.subject,
                category=target.category,
                occurred_at=target.occurred_at + timedelta(days=draw(st.integers(0, 10))),
                recorded_at=max(recorded, target.occurred_at + timedelta(days=10)),
                source="src",
                legal_basis="law",
                amount=draw(st.none() | st.floats(0, 1000)),
                status=status,
                refers_to=target.id,
            )
        )
    return originals, amendments


@contextmanager
def fresh_store() -> Iterator[RecordStore]:
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(str(Path(folder) / "credit.db"))
        try:
            yield store
        finally:
            store.close()


def stored(store: RecordStore) -> list[Record]:
    """Every stored record, by id (records hold a dict, so they are not hashable)."""
    return sorted((r for batch in store.scan(batch_size=5) for r in batch), key=lambda r: r.id)


def by_id(records: list[Record]) -> list[Record]:
    return sorted(records, key=lambda r: r.id)


def resolved(store: RecordStore, at: datetime | None) -> tuple[object, object]:
    """What the stored records resolve to on the agencies' dates (``recorded_at``): the
    acceptance instants are dropped, since batches ingested later are, by design, known
    later (tests/test_known_at.py); what is compared here is the content."""
    return resolve([replace(r, accepted_at=None) for b in store.scan() for r in b], at)


KNOWN_AT = [datetime(2024, 3, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC), None]


@STORE_SETTINGS
@given(worlds(), st.randoms(use_true_random=False), st.integers(1, 4))
def test_ingest_order_does_not_matter(
    world: tuple[list[Record], list[Record]], rnd: random.Random, parts: int
) -> None:
    originals, amendments = world
    everything = originals + amendments
    shuffled = rnd.sample(everything, len(everything))
    # originals in random batches first, then amendments in random batches
    first, later = rnd.sample(originals, len(originals)), rnd.sample(amendments, len(amendments))
    cut = sorted(rnd.randint(0, len(first)) for _ in range(parts - 1))
    batches = [first[a:b] for a, b in zip([0, *cut], [*cut, len(first)], strict=True)]
    batches.append(later)
    with fresh_store() as one, fresh_store() as split:
        ingest_records(one, shuffled)
        for batch in batches:
            ingest_records(split, batch)
        assert stored(one) == stored(split) == by_id(everything)
        for at in KNOWN_AT:
            assert resolved(one, at) == resolved(split, at) == resolve(everything, at)


@STORE_SETTINGS
@given(worlds(), st.randoms(use_true_random=False))
def test_reingest_is_idempotent(
    world: tuple[list[Record], list[Record]], rnd: random.Random
) -> None:
    everything = world[0] + world[1]
    with tempfile.TemporaryDirectory() as folder, fresh_store() as store:
        path = write_jsonl(Path(folder) / "in.jsonl", rnd.sample(everything, len(everything)))
        first = ingest_file(store, path)
        frame = store.frame()
        again = ingest_file(store, path)
        assert (first.inserted, first.duplicates) == (len(everything), 0)
        assert (again.inserted, again.duplicates) == (0, len(everything))
        assert store.frame().equals(frame)
        assert stored(store) == by_id(everything)
