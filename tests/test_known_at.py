"""What the system knew, and when (issue 18): every record carries the instant the store
accepted it, on the store's clock (``XINYONG_CLOCK``), never the sender's; ``known_at`` cuts on
that instant, defaults to the latest knowledge, and reproduces a past answer exactly, even
one given before a backdated correction; records dated in the future of the store's clock
are refused; the HTTP service cannot be moved off the real clock.

Each test fails if its rule is taken out (filtering on ``recorded_at``, defaulting
``known_at`` to ``at``, stamping acceptance from the sender or the environment over HTTP, or
admitting future-dated records)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from factories import PERSON, make_record
from xinyong import Settings, open_system
from xinyong.adapters.batch.dataset import read_dataset, write_dataset
from xinyong.adapters.batch.frame import records_frame
from xinyong.adapters.batch.score import score_population
from xinyong.adapters.store import open_store
from xinyong.core.records import Record, Status
from xinyong.core.scoring.engine import score_subject
from xinyong.drivers.cli.app import app
from xinyong.system.clock import FUTURE_TOLERANCE, clock_of
from xinyong.system.reading import IngestFailed
from xinyong.system.schemes_io import load_scheme
from xinyong.system.settings import SettingsError

GATE = "rail.g-train"
runner = CliRunner()


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def listing(**overrides: object) -> Record:
    fields: dict[str, object] = {
        "id": "ct-1",
        "category": "court.listing_decision",
        "occurred_at": "2026-03-01",
        "recorded_at": "2026-03-02",
        "source": "chaoyang-court",
        "legal_basis": "SPC Provisions art. 1",
        "details": {"ground": 2},
    }
    fields.update(overrides)
    return make_record(**fields)


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "credit.db")


def at_clock(db: str, clock: str) -> Settings:
    return Settings(db=db, clock=clock)


# --- the store stamps acceptance from its clock ----------------------------------------------


def test_a_record_dated_t1_but_accepted_t2_is_not_known_between(db: str) -> None:
    # dated 2026-03-01/02 by the court, but the store only receives it on 2026-03-10
    with open_system(at_clock(db, "2026-03-10T09:00:00Z")) as s:
        s.ingest([listing()])
        stored = s.store.get("ct-1")
        assert stored is not None
        assert stored.recorded_at == t("2026-03-02")  # the sender's time, kept as reported
        assert stored.accepted_at == t("2026-03-10T09:00")  # the store's clock
        # what the store held on 2026-03-05: nothing about it, whatever the court's dates say
        assert s.check(GATE, PERSON, at="2026-03-05", known_at="2026-03-05").decision == "allow"
        assert s.check(GATE, PERSON, at="2026-03-05", known_at="2026-03-10T08:59").decision == (
            "allow"
        )
        assert s.check(GATE, PERSON, at="2026-03-05", known_at="2026-03-10T09:00").decision == (
            "deny"
        )
        # the default is the latest knowledge, not --at: the past with hindsight
        assert s.check(GATE, PERSON, at="2026-03-05").decision == "deny"
        assert s.view(PERSON, at="2026-03-05").known_at is None


def test_a_past_gate_answer_is_reproduced_after_a_backdated_correction(db: str) -> None:
    with open_system(at_clock(db, "2026-03-03T10:00:00Z")) as s:
        s.ingest([listing()])
        before = s.check(GATE, PERSON, at="2026-03-15").to_dict()
        assert before["decision"] == "deny"
    # on 2026-03-20 the court revokes the listing, reporting it as recorded on 2026-03-04
    revocation = listing(
        id="ct-1-rv",
        status=Status.REVOCATION,
        refers_to="ct-1",
        occurred_at="2026-03-04",
        recorded_at="2026-03-04",
    )
    with open_system(at_clock(db, "2026-03-20T10:00:00Z")) as s:
        s.ingest([revocation])
        # what the store answered on 2026-03-15 comes back exactly ...
        again = s.check(GATE, PERSON, at="2026-03-15", known_at="2026-03-15").to_dict()
        assert again == before
        # ... and with the latest knowledge the revocation holds for that past moment too
        assert s.check(GATE, PERSON, at="2026-03-15").decision == "allow"


def test_the_cli_reproduces_a_past_answer_with_known_at(db: str) -> None:
    path = Path(db).with_suffix(".jsonl")
    path.write_text(json.dumps(listing().to_dict()) + "\n")
    r = runner.invoke(
        app, ["ingest", str(path), "--db", db], env={"XINYONG_CLOCK": "2026-03-10T09:00:00Z"}
    )
    assert r.exit_code == 0, r.output

    def check(*extra: str) -> str:
        got = runner.invoke(app, ["check", GATE, PERSON, "--at", "2026-03-05", *extra, "--db", db])
        assert got.exit_code == 0, got.output
        return got.stdout.split()[0]

    assert check("--known-at", "2026-03-05") == "ALLOW"
    assert check("--known-at", "2026-03-10T09:00:00Z") == "DENY"
    assert check() == "DENY"


# --- future-dated records are refused ----------------------------------------------------------


@pytest.mark.parametrize("field", ["occurred_at", "recorded_at"])
def test_records_dated_in_the_future_of_the_store_clock_are_refused(db: str, field: str) -> None:
    now = t("2026-03-10T09:00")
    late = now + FUTURE_TOLERANCE + timedelta(seconds=1)
    times = {"occurred_at": now - timedelta(days=1), "recorded_at": now}
    times[field] = late
    if field == "occurred_at":
        times["recorded_at"] = late
    ok = listing(id="ok", recorded_at=now + FUTURE_TOLERANCE)  # within the tolerance
    with open_system(at_clock(db, "2026-03-10T09:00:00Z")) as s:
        with pytest.raises(IngestFailed) as e:
            s.ingest([ok, listing(id="late", **times)])
        [err] = e.value.errors
        assert (err.row, err.field) == (2, "occurred_at" if field == "occurred_at" else field)
        assert "in the future of the store's clock" in err.reason
        assert s.store.count() == 0  # all or nothing
        s.ingest([ok])
        assert s.store.count() == 1


def test_the_cli_names_row_field_and_reason_of_a_future_record(db: str, tmp_path: Path) -> None:
    path = tmp_path / "future.jsonl"
    path.write_text(json.dumps(listing(recorded_at="2030-01-01").to_dict()) + "\n")
    r = runner.invoke(app, ["ingest", str(path), "--db", db])  # the real clock
    assert r.exit_code != 0
    out = " ".join(r.output.split())
    assert "future.jsonl:1: field 'recorded_at'" in out
    assert "in the future of the store's clock" in out
    assert "Traceback" not in r.output


# --- the clock setting --------------------------------------------------------------------------


def test_the_clock_setting_is_checked_and_documented() -> None:
    assert Settings.from_env({"XINYONG_CLOCK": "2026-03-10"}).clock == "2026-03-10T00:00:00Z"
    assert Settings.from_env({}).clock == "real"
    with pytest.raises(SettingsError, match="XINYONG_CLOCK"):
        Settings.from_env({"XINYONG_CLOCK": "yesterday"})
    assert clock_of("2026-03-10")() == t("2026-03-10")
    docs = (Path(__file__).parent.parent / "docs" / "settings.md").read_text()
    assert "XINYONG_CLOCK" in docs
    assert "5 minutes" in docs


# --- over HTTP the clock is the real one --------------------------------------------------------


@pytest.fixture
def http_on_a_replay_clock(db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    import sys

    sys.path.insert(0, str(Path(__file__).parent / "http"))
    from http_helpers import AGENCY, KEYS_TOML, TestClient

    from xinyong.drivers.http import create_app
    from xinyong.system.principals import KeyRing

    monkeypatch.setenv("XINYONG_CLOCK", "2020-01-01T00:00:00Z")  # ignored by the service
    keys = KeyRing.from_toml(KEYS_TOML, "test keys")
    with TestClient(create_app(db, keys=keys)) as c:
        yield c, AGENCY


def test_http_accepts_on_the_real_clock_and_no_request_moves_it(
    http_on_a_replay_clock: object, db: str
) -> None:
    c, agency = http_on_a_replay_clock  # type: ignore[misc]
    day = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    rec = listing(occurred_at=day, recorded_at=day + timedelta(days=1), source="court-1")
    body = json.dumps(rec.to_dict()) + "\n"
    before = datetime.now(UTC)
    moved = {**agency, "X-Xinyong-Clock": "2020-01-01T00:00:00Z"}
    r = c.post("/v1/records?clock=2020-01-01T00:00:00Z", content=body, headers=moved)
    after = datetime.now(UTC)
    # on the 2020 clock the record would be dated in the future and refused
    assert r.status_code == 200, r.text
    store = open_store(db)
    try:
        stored = store.get(rec.id)
    finally:
        store.close()
    assert stored is not None
    assert stored.accepted_at is not None
    assert before - timedelta(seconds=1) <= stored.accepted_at <= after + timedelta(seconds=1)
    # a sender cannot state when the store accepted its record
    sent = {**rec.to_dict(), "id": "ct-2", "accepted_at": "2020-01-01T00:00:00Z"}
    r = c.post("/v1/records", content=json.dumps(sent) + "\n", headers=agency)
    assert r.status_code == 422, r.text
    assert "accepted_at" in r.text


# --- the batch path cuts on acceptance like the engine --------------------------------------------


def test_batch_scores_equal_the_engine_with_known_at(db: str, tmp_path: Path) -> None:
    scheme = load_scheme("rongcheng")
    base = {"category": "traffic.violation", "source": "traffic-police"}
    first = [make_record(id=f"a{i}", occurred_at="2024-03-01", **base) for i in range(3)]
    late = [
        make_record(id=f"late{i}", occurred_at="2024-03-05", recorded_at="2024-03-06", **base)
        for i in range(2)
    ]
    fix = make_record(
        id="rv", status="revocation", refers_to="a0", occurred_at="2024-03-02",
        recorded_at="2024-03-02", **base,
    )  # fmt: skip
    clock = {"t": t("2024-03-10")}
    store = open_store(db, clock=lambda: clock["t"])
    try:
        store.append(first)
        clock["t"] = t("2024-06-01")  # dated March, received in June
        store.append([*late, fix])
        frame = store.frame()
        records = store.records_for(PERSON)
    finally:
        store.close()
    assert frame["ingested_at"].to_list() == [t("2024-03-10")] * 3 + [t("2024-06-01")] * 3
    at = t("2024-04-01")
    for known in (t("2024-03-20"), t("2024-06-01"), None):
        ref = score_subject(scheme, PERSON, records, at, known)
        write_dataset(frame, tmp_path / f"ds-{known}", 2)  # an export keeps ingested_at
        dataset = read_dataset(tmp_path / f"ds-{known}")
        for f in (frame, records_frame(records), dataset):
            got = score_population(scheme, f, at, known).row(0, named=True)
            assert (got["score"], got["grade"]) == (ref.score, ref.grade), known
    between = score_subject(scheme, PERSON, records, at, t("2024-03-20"))
    latest = score_subject(scheme, PERSON, records, at)
    assert between.score is not None
    assert latest.score is not None
    assert between.score != latest.score  # 3 tickets known on 2024-03-20, 4 now
    # on recorded_at instead, 2024-03-20 would already know both late rows
    on_recorded = score_population(
        scheme, frame.with_columns(pl.lit(None, dtype=frame["ingested_at"].dtype)
                                   .alias("ingested_at")), at, t("2024-03-20")
    ).row(0, named=True)  # fmt: skip
    assert on_recorded["score"] != between.score


def test_the_stream_consumer_runs_on_the_real_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    import xinyong.composition
    from xinyong.core.errors import XinyongError

    seen: list[Settings] = []

    def capture(settings: Settings, **_: object) -> None:
        seen.append(settings)
        raise XinyongError("stop here")  # before any NATS connection

    monkeypatch.setattr(xinyong.composition, "open_system", capture)
    r = runner.invoke(
        app, ["ingest-stream", "--db", "x.db"], env={"XINYONG_CLOCK": "2020-01-01T00:00:00Z"}
    )
    assert r.exit_code == 2
    assert [s.clock for s in seen] == ["real"]
