"""The contract every :class:`RecordStore` backend must meet (style.md 4).

Subclass :class:`StoreContract` in a ``test_store_<backend>.py`` and override ``make_store``:
a fixture returning a function that opens (and on later calls re-opens) one fresh store.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone

import polars as pl
import pytest

from factories import ORG, PERSON, make_correction, make_expiry, make_record, make_revocation
from xinyong.adapters.store import DEFAULT_FRAME_COLUMNS, FRAME_SCHEMA, AppendResult, RecordStore
from xinyong.core.errors import InvalidRecord, RecordConflict
from xinyong.core.records import Record, Status

StoreFactory = Callable[[], RecordStore]


class StoreContract:
    """Behaviour shared by every backend: append-only, atomic batches, same rules."""

    @pytest.fixture
    def make_store(self) -> StoreFactory:
        raise NotImplementedError("a backend's test module overrides make_store")

    @pytest.fixture
    def open_stores(self, make_store: StoreFactory) -> Iterator[StoreFactory]:
        """``make_store`` that closes every store it opened at teardown."""
        opened: list[RecordStore] = []

        def opener() -> RecordStore:
            s = make_store()
            opened.append(s)
            return s

        yield opener
        for s in opened:
            s.close()

    @pytest.fixture
    def store(self, open_stores: StoreFactory) -> RecordStore:
        return open_stores()

    # -- empty store and round trips

    def test_empty_store(self, store: RecordStore) -> None:
        assert store.count() == 0
        assert store.subjects() == []
        assert store.get("nope") is None
        assert store.records_for(PERSON) == []
        assert list(store.scan()) == []
        frame = store.frame()
        assert frame.height == 0
        assert frame.schema == pl.Schema({c: FRAME_SCHEMA[c] for c in DEFAULT_FRAME_COLUMNS})

    def test_append_nothing(self, store: RecordStore) -> None:
        assert store.append([]) == AppendResult(0, 0)

    def test_round_trip_keeps_every_field(self, store: RecordStore) -> None:
        r = make_record(
            occurred_at=datetime(2023, 5, 1, 8, 30, 0, 123456, tzinfo=timezone(timedelta(hours=8))),
            recorded_at="2023-05-02T00:00:00Z",
            amount=1234.5,
            severity="serious",
            evidence="判决书 (2023) 京0105民初123号",
            details={"ground": 3, "paid": False, "rate": 0.25, "note": "逾期"},
        )
        assert store.append([r]) == AppendResult(1, 0)
        got = store.get(r.id)
        assert got == r
        assert got is not None
        assert got.content_hash() == r.content_hash()
        assert got.occurred_at.tzinfo is not None
        assert got.occurred_at.utcoffset() == timedelta(0)

    def test_times_before_the_epoch(self, store: RecordStore) -> None:
        r = make_record(occurred_at="1950-06-01T12:00:00.5Z", recorded_at="1960-01-01")
        store.append([r])
        assert store.get(r.id) == r

    def test_reopen_sees_what_was_written(self, open_stores: StoreFactory) -> None:
        first = open_stores()
        r = make_record()
        first.append([r])
        first.close()
        assert open_stores().get(r.id) == r

    # -- duplicates and conflicts

    def test_same_record_again_is_a_duplicate(self, store: RecordStore) -> None:
        a, b = make_record(), make_record()
        assert store.append([a, b]) == AppendResult(2, 0)
        assert store.append([a, b]) == AppendResult(0, 2)
        assert store.append([a, a, make_record()]) == AppendResult(1, 2)
        assert store.count() == 3

    def test_duplicate_inside_one_batch(self, store: RecordStore) -> None:
        a = make_record()
        assert store.append([a, a]) == AppendResult(1, 1)

    def test_append_says_which_positions_it_inserted(self, store: RecordStore) -> None:
        a, b, c = make_record(), make_record(), make_record()
        assert store.append([a, b]).fresh == (True, True)
        assert store.append([b, c, c, a]).fresh == (False, True, False, False)
        assert store.append([]).fresh == ()

    def test_same_id_other_content_is_a_conflict_and_writes_nothing(
        self, store: RecordStore
    ) -> None:
        a = make_record(amount=100.0)
        store.append([a])
        changed = make_record(id=a.id, amount=200.0, evidence=a.evidence)
        fresh = make_record()
        with pytest.raises(RecordConflict) as e:
            store.append([fresh, changed])
        assert a.id in str(e.value)
        # the stored record may be another agency's: its content is not described
        assert "amount" not in str(e.value)
        assert "already stored" in str(e.value)
        assert store.count() == 1
        assert store.get(fresh.id) is None
        assert store.get(a.id) == a

    def test_conflict_inside_one_batch(self, store: RecordStore) -> None:
        a = make_record(amount=1.0)
        b = make_record(id=a.id, amount=2.0, evidence=a.evidence)
        with pytest.raises(RecordConflict, match=rf"{a.id}.*amount"):
            store.append([a, b])
        assert store.count() == 0

    # -- references

    def test_amendments_of_stored_records(self, store: RecordStore) -> None:
        a, b, c = make_record(), make_record(), make_record()
        store.append([a, b, c])
        amendments = [
            make_correction(a, amount=5.0),
            make_revocation(b),
            make_expiry(c, occurred_at=c.recorded_at),
        ]
        assert store.append(amendments) == AppendResult(3, 0)

    @pytest.mark.parametrize("order", ["original first", "amendment first"])
    def test_amendment_in_the_same_batch_in_any_order(self, store: RecordStore, order: str) -> None:
        a = make_record()
        fix = make_correction(a, amount=3.0)
        batch = [a, fix] if order == "original first" else [fix, a]
        assert store.append(batch) == AppendResult(2, 0)

    @pytest.mark.parametrize("status", [Status.CORRECTION, Status.REVOCATION, Status.EXPIRY])
    def test_amendment_of_a_missing_record_is_refused(
        self, store: RecordStore, status: Status
    ) -> None:
        store.append([make_record()])
        bad = make_record(status=status, refers_to="no-such-record")
        with pytest.raises(InvalidRecord) as e:
            store.append([make_record(), bad])
        assert e.value.field == "refers_to"
        assert bad.id in str(e.value)
        assert "no-such-record" in str(e.value)
        assert store.count() == 1

    def test_amendment_of_another_subject_is_refused(self, store: RecordStore) -> None:
        a = make_record(subject=ORG)
        store.append([a])
        bad = make_correction(a, subject=PERSON)
        with pytest.raises(InvalidRecord, match="same subject") as e:
            store.append([bad])
        assert e.value.field == "refers_to"

    def test_amendment_of_an_amendment_is_refused(self, store: RecordStore) -> None:
        a = make_record()
        fix = make_correction(a)
        store.append([a, fix])
        with pytest.raises(InvalidRecord, match="active record") as e:
            store.append([make_revocation(fix)])
        assert e.value.field == "refers_to"

    def test_active_link_must_exist_with_the_same_subject(self, store: RecordStore) -> None:
        listing = make_record(category="list.decision")
        store.append([listing])
        assert store.append([make_record(refers_to=listing.id)]).inserted == 1
        with pytest.raises(InvalidRecord, match="neither stored nor in this batch"):
            store.append([make_record(refers_to="missing")])
        with pytest.raises(InvalidRecord, match="same subject"):
            store.append([make_record(subject=ORG, refers_to=listing.id)])
        assert store.count() == 2

    def test_check_reports_every_problem_and_writes_nothing(self, store: RecordStore) -> None:
        a = make_record(amount=1.0)
        store.append([a])
        batch = [
            make_record(id=a.id, amount=9.0, evidence=a.evidence),
            make_record(status=Status.REVOCATION, refers_to="gone"),
            make_record(),
        ]
        problems = store.check(batch, where=lambda i: f"line {i + 10}")
        assert [(p.index, p.field, p.conflict) for p in problems] == [
            (0, "id", True),
            (1, "refers_to", False),
        ]
        assert problems[1].missing == "gone"
        assert store.check(batch, limit=1)[0].index == 0
        assert store.count() == 1

    # -- reads

    def test_records_for_in_append_order(self, store: RecordStore) -> None:
        late = make_record(occurred_at="2024-06-01", recorded_at="2024-06-02")
        early = make_record(occurred_at="2020-01-01", recorded_at="2020-01-02")
        other = make_record(subject=ORG)
        store.append([late, other])
        store.append([early])
        assert store.records_for(PERSON) == [late, early]
        assert store.records_for(PERSON.lower()) == [late, early]
        assert store.records_for(ORG) == [other]
        assert store.subjects() == sorted([PERSON, ORG])

    def test_scan_in_append_order(self, store: RecordStore) -> None:
        records = [make_record(subject=ORG if i % 2 else PERSON) for i in range(7)]
        store.append(records[:4])
        store.append(records[4:])
        batches = list(store.scan(batch_size=3))
        assert [len(b) for b in batches] == [3, 3, 1]
        assert [r for b in batches for r in b] == records
        with pytest.raises(ValueError, match="batch_size"):
            next(store.scan(batch_size=0))

    def test_frame(self, store: RecordStore) -> None:
        a = make_record(amount=2.5, details={"b": 1, "a": "x"}, severity="minor")
        b = make_record(subject=ORG, occurred_at="2024-02-01T10:00:00.000001Z")
        store.append([a, b])
        frame = store.frame()
        assert frame.schema == pl.Schema({c: FRAME_SCHEMA[c] for c in DEFAULT_FRAME_COLUMNS})
        assert frame["id"].to_list() == [a.id, b.id]
        assert frame["occurred_at"].to_list() == [a.occurred_at, b.occurred_at]
        assert frame["amount"].to_list() == [2.5, None]
        assert json.loads(frame["details"][0]) == {"a": "x", "b": 1}
        assert frame["details"][1] == "{}"
        assert frame.filter(pl.col("status") == "active").height == 2
        small = store.frame(["seq", "subject", "recorded_at", "ingested_at"])
        assert small.columns == ["seq", "subject", "recorded_at", "ingested_at"]
        assert small["seq"].is_sorted()
        ingested = small["ingested_at"][0]
        assert isinstance(ingested, datetime)
        assert abs(ingested - datetime.now(UTC)) < timedelta(minutes=5)
        with pytest.raises(ValueError, match="frame columns"):
            store.frame(["id", "nope"])

    def test_frame_matches_records(self, store: RecordStore) -> None:
        records = [make_record(amount=float(i)) for i in range(20)]
        store.append(records)
        rebuilt = [
            Record.from_dict({k: v for k, v in row.items() if v is not None and k != "ingested_at"})
            for row in store.frame()
            .with_columns(
                pl.col("occurred_at", "recorded_at").dt.to_string("%Y-%m-%dT%H:%M:%S%.fZ"),
                pl.col("category", "source", "status").cast(pl.String),
            )
            .to_dicts()
        ]
        assert rebuilt == records
