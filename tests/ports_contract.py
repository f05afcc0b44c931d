"""The contracts of the persistence ports beside the record store (:mod:`xinyong.system.ports`):
one class per port, run on every backend (``tests/test_ports_sqlite.py``,
``tests/test_ports_postgres.py``) as :mod:`store_contract` is for the record store.

A backend's module subclasses each class and overrides ``make_store``: a fixture returning a
function that opens (and on later calls re-opens) one fresh store.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from factories import ORG, PERSON, make_correction, make_record
from xinyong.core.errors import XinyongError
from xinyong.core.evaluate import check_gate, evaluate_subject
from xinyong.core.ledger.checkpoint import public_hex, signature_ok
from xinyong.core.notices import Notice
from xinyong.core.objection_case import CaseEvent
from xinyong.core.records import Record
from xinyong.core.sanctions import gates_of
from xinyong.system.ports import Access, Backend, CatchUp, Signer
from xinyong.system.record_rows import record_of
from xinyong.system.record_store import canonical
from xinyong.system.schemes_io import all_memoranda, all_presets

StoreFactory = Callable[[], Backend]
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
SCHEMES = all_presets()
MEMORANDA = all_memoranda()
AT = datetime(2024, 6, 1, tzinfo=UTC)


def _listing(id: str, subject: str = PERSON) -> Record:
    return make_record(
        id=id,
        subject=subject,
        category="court.listing_decision",
        occurred_at="2024-01-10",
        recorded_at="2024-01-11",
        source="court",
        legal_basis="law",
        details={"ground": "2"},
    )


class _Stores:
    @pytest.fixture
    def make_store(self) -> StoreFactory:
        raise NotImplementedError("a backend's test module overrides make_store")

    @pytest.fixture
    def open_stores(self, make_store: StoreFactory) -> Iterator[StoreFactory]:
        """``make_store`` that closes every store it opened at teardown."""
        opened: list[Backend] = []

        def opener() -> Backend:
            s = make_store()
            opened.append(s)
            return s

        yield opener
        for s in opened:
            s.close()

    @pytest.fixture
    def store(self, open_stores: StoreFactory) -> Backend:
        return open_stores()


class LedgerContract(_Stores):
    """:class:`~xinyong.system.ports.LedgerPort`."""

    def test_empty_ledger(self, store: Backend) -> None:
        ledger = store.ledger()
        assert ledger.size() == 0
        audit = ledger.verify()
        assert audit.ok
        assert (audit.records, audit.entries, audit.checkpoints) == (0, 0, 0)
        assert ledger.latest_checkpoint() is None
        assert ledger.checkpoint(Signer(KEY)) is None  # nothing to sign
        with pytest.raises(XinyongError, match="no record with id 'nope'"):
            ledger.prove("nope")

    def test_chain_checkpoint_and_proof(self, open_stores: StoreFactory) -> None:
        store = open_stores()
        records = [make_record() for _ in range(5)]
        store.append(records[:3])
        store.append(records[3:] + records[:1])  # a duplicate takes no position
        ledger = store.ledger()
        assert ledger.size() == 5
        made = ledger.checkpoint(Signer(KEY))
        assert made is not None
        assert signature_ok(made)
        assert (made.since, made.position) == (0, 5)
        assert ledger.checkpoint(Signer(KEY)) is None  # the newest already covers the tail
        again = open_stores().ledger()  # what is stored, not what this object remembers
        assert again.latest_checkpoint() == made
        audit = again.verify(trusted=frozenset({public_hex(KEY)}))
        assert audit.ok, audit.findings
        assert (audit.records, audit.entries, audit.checkpoints) == (5, 5, 1)
        proof = again.prove(records[3].id)
        assert proof["verified"] is True
        assert (proof["position"], proof["index"], proof["size"]) == (4, 3, 5)
        assert proof["content_hash"] == canonical(records[3])[1]
        late = make_record()
        store.append([late])
        with pytest.raises(XinyongError, match="after the newest checkpoint"):
            again.prove(late.id)

    def test_verify_names_an_untrusted_signer(self, store: Backend) -> None:
        store.append([make_record(), make_record()])
        assert store.ledger().checkpoint(Signer(OTHER_KEY)) is not None
        audit = store.ledger().verify(trusted=frozenset({public_hex(KEY)}))
        assert not audit.ok


class LiveStateContract(_Stores):
    """:class:`~xinyong.system.ports.LiveStatePort`."""

    def test_a_store_keeps_no_state_until_the_first_catch_up(self, store: Backend) -> None:
        live = store.live_state(SCHEMES, MEMORANDA, lambda: AT)
        assert not live.enabled()
        assert live.mark() == 0
        assert live.behind()
        store.append([_listing("l1")])
        assert live.catch_up() == CatchUp(0, 1, 1, rebuilt=True)
        assert live.enabled()
        assert live.mark() == 1
        assert not live.behind()
        assert live.stored(PERSON) is not None
        assert live.stored(ORG) is None

    def test_catch_up_takes_only_the_subjects_with_new_records(
        self, open_stores: StoreFactory
    ) -> None:
        store = open_stores()
        first = _listing("l1")
        store.append([first, make_record(subject=ORG, category="tax.arrears", amount=5000.0)])
        store.live_state(SCHEMES, MEMORANDA, lambda: AT).catch_up()
        store.append([make_correction(first, details={"ground": "1"})])
        reopened = open_stores().live_state(SCHEMES, MEMORANDA, lambda: AT)
        assert reopened.enabled()
        assert reopened.behind()
        assert reopened.catch_up() == CatchUp(2, 3, 1, rebuilt=False)
        assert not reopened.behind()

    def test_answers_equal_the_pure_path(self, store: Backend) -> None:
        store.append(
            [_listing("l1"), make_record(subject=ORG, category="tax.arrears", amount=5000.0)]
        )
        live = store.live_state(SCHEMES, MEMORANDA, lambda: AT)
        live.catch_up()
        assert live.gates() == gates_of(MEMORANDA)
        for subject in (PERSON, ORG):
            reference = evaluate_subject(SCHEMES, subject, store.records_for(subject), AT)
            assert live.view(subject, AT) == reference
            for gate in sorted(gates_of(MEMORANDA)):
                want = check_gate(MEMORANDA, reference, gate).to_dict()
                got = live.check(gate, subject, AT).to_dict()
                assert json.loads(json.dumps(got, default=str)) == json.loads(
                    json.dumps(want, default=str)
                )
        assert live.check("air.ticket", PERSON, AT).decision == "deny"

    def test_another_configuration_rebuilds(self, store: Backend) -> None:
        store.append([_listing("l1")])
        store.live_state(SCHEMES, MEMORANDA, lambda: AT).catch_up()
        fewer = dict(list(SCHEMES.items())[:1])
        other = store.live_state(fewer, MEMORANDA, lambda: AT)
        assert other.behind()
        assert other.catch_up().rebuilt
        state = other.stored(PERSON)
        assert state is not None
        assert set(state.scores) <= set(fewer)

    def test_a_state_past_its_horizon_is_refreshed(self, store: Backend) -> None:
        store.append([_listing("l1")])
        live = store.live_state(SCHEMES, MEMORANDA, lambda: AT)
        live.catch_up()
        later = AT + timedelta(days=3650)
        state = live.refresh(PERSON, later)
        assert state.as_of == later
        stored = live.stored(PERSON)
        assert stored is not None
        assert stored.as_of == later


class JournalContract(_Stores):
    """:class:`~xinyong.system.ports.JournalPort`, on the store's own database."""

    def test_access_log(self, store: Backend) -> None:
        journal = store.journal()
        assert journal.reads_of(PERSON) == []
        journal.log([Access("gate", "g1", PERSON, "first", "gate check")])
        journal.log_reads("gate", "g2", [ORG, PERSON, ORG], "batch", "gate check")
        got = journal.reads_of(PERSON)
        assert [(r["who"], r["why"]) for r in got] == [("g2", "batch"), ("g1", "first")]
        assert set(got[0]) == {"at", "role", "who", "why", "what"}
        assert [r["why"] for r in journal.reads_of(ORG, limit=5)] == ["batch", "batch"]
        assert len(journal.reads_of(ORG, limit=1)) == 1

    def test_objection_events(self, open_stores: StoreFactory) -> None:
        journal = open_stores().journal()
        filed = CaseEvent("obj-1", "filed", AT, "subject", {"target": "r1"})
        journal.append_event(filed, PERSON, 0)
        journal.append_event(CaseEvent("obj-2", "filed", AT, "subject", {}), ORG, 0)
        review = CaseEvent("obj-1", "review_started", AT + timedelta(days=1), "clerk")
        journal.append_event(review, PERSON, 1)
        with pytest.raises(XinyongError, match="recorded by someone else"):
            journal.append_event(review, PERSON, 1)
        again = open_stores().journal()
        assert again.events("obj-1") == [filed, review]
        assert again.events("obj-9") == []
        assert again.case_ids() == ["obj-1", "obj-2"]
        assert again.case_ids(ORG) == ["obj-2"]

    def test_notices_and_their_mark(self, store: Backend) -> None:
        journal = store.journal()
        assert journal.notice_mark() is None
        assert journal.add_notices([], mark=(None, 3)) == 0
        assert journal.notice_mark() == 3
        a, b = _notice("n1", AT), _notice("n2", AT + timedelta(days=1))
        assert journal.add_notices([a, b, a]) == 2
        assert journal.add_notices([b]) == 0  # same id, same notice
        assert journal.add_notices([_notice("n3", AT)], mark=(2, 5)) == -1  # stale mark
        assert journal.add_notices([_notice("n3", AT)], mark=(3, 5)) == 1
        assert journal.notice_mark() == 5
        assert [n["id"] for n in journal.notices_of(PERSON)] == ["n1", "n2", "n3"]
        assert journal.notices_of(ORG) == []

    def test_journal_tables_are_append_only(self, store: Backend) -> None:
        journal = store.journal()
        journal.log([Access("gate", "g1", PERSON, "x", "gate check")])
        journal.add_notices([_notice("n1", AT)], mark=(None, 0))
        journal.append_event(CaseEvent("obj-1", "filed", AT, "subject", {}), PERSON, 0)
        writing: Any = store.writing  # type: ignore[attr-defined]  # the backend's own
        for sql in (
            "UPDATE access_log SET why = 'changed'",
            "DELETE FROM notices",
            "DELETE FROM notice_marks",
            "UPDATE objection_events SET kind = 'closed'",
        ):
            with pytest.raises(Exception, match="append-only"), writing() as conn:
                conn.exec_driver_sql(sql)

    def test_one_journal_per_store_closed_with_it(self, open_stores: StoreFactory) -> None:
        store = open_stores()
        journal = store.journal()
        assert store.journal() is journal
        journal.log([Access("gate", "g1", PERSON, "x", "gate check")])
        store.close()
        assert getattr(journal, "closed", None) is True
        assert [r["who"] for r in open_stores().journal().reads_of(PERSON)] == ["g1"]


def _notice(id: str, at: datetime) -> Notice:
    return Notice(id, PERSON, at, "listing", "what", {"records": []}, {}, {}, "ingest")


class GateReadsContract(_Stores):
    """:class:`~xinyong.system.ports.GateReads`."""

    @pytest.fixture
    def filled(self, store: Backend) -> tuple[Backend, list[Record]]:
        first = make_record(subject=PERSON, category="traffic.violation")
        records = [
            first,
            make_record(subject=ORG, category="tax.arrears", amount=5000.0),
            make_correction(first, amount=50.0),
            _listing("l1", subject=PERSON),
            make_record(subject=ORG, category="traffic.violation"),
        ]
        store.append(records)
        return store, records

    def test_rows_are_the_records_in_append_order(
        self, filled: tuple[Backend, list[Record]]
    ) -> None:
        store, records = filled
        rows = store.rows_for_many([PERSON, ORG, "NOBODY"])
        assert set(rows) == {PERSON, ORG}
        assert [record_of(r) for r in rows[PERSON]] == [records[0], records[2], records[3]]
        assert [record_of(r) for r in rows[ORG]] == [records[1], records[4]]
        assert [r[13] for r in rows[PERSON]] == [canonical(r)[1] for r in store.records_for(PERSON)]
        assert rows == {
            s: [tuple(r) for r in rs] for s, rs in store.rows_for_many([ORG, PERSON]).items()
        }

    def test_rows_by_categories(self, filled: tuple[Backend, list[Record]]) -> None:
        store, _ = filled
        wanted = store.rows_for_many([PERSON, ORG], ["court.listing_decision"])
        assert list(wanted) == [PERSON]
        assert len(wanted[PERSON]) == 3  # all the subject's records
        assert store.rows_for_many([PERSON, ORG], []) == {}
        assert store.rows_for_many([], None) == {}
        assert store.rows_for_many([PERSON], ["nothing.here"]) == {}

    def test_subjects_with_follow_appends(self, filled: tuple[Backend, list[Record]]) -> None:
        store, _ = filled
        assert store.subjects_with(["court.listing_decision"]) == {PERSON}
        assert store.subjects_with(["traffic.violation"]) == {PERSON, ORG}
        assert store.subjects_with(["nothing.here"]) == set()
        store.append([_listing("l2", subject=ORG)])
        assert store.subjects_with(["court.listing_decision"]) == {PERSON, ORG}
