"""Attacks on the process's memory of valid subjects (``columnar.subject_columns``, ``_known``,
``KNOWN_SUBJECTS``): warm lookups must give every row the birth day and kind a cold check gives
it, at the bound, across a day change, from several threads at once, and with subjects that
are invalid, null or not text at all; and both admission paths must still agree."""

from __future__ import annotations

import contextlib
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import xinyong
from factories import ORG, PERSON
from test_columnar_admission import AT, compare, file_source, jsonl, rec
from xinyong.adapters.store.sql import SqlRecordStore
from xinyong.core.codes.issue import make_resident_id, make_uscc
from xinyong.system import columnar

DIGIT_PERSON = "110105198001010016"  # a valid resident number whose check character is a digit


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SqlRecordStore, "accepted_us", lambda self: AT)


@pytest.fixture
def fresh_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columnar, "_known", [])


def _codes(n: int, start: int = 0) -> list[str]:
    out = [
        make_resident_id("110105", date(1950 + i % 60, 1 + i % 12, 1 + i % 28), i % 900 + 1)
        for i in range(start, start + n)
    ]
    out += [make_uscc("9", "1", "110105", f"{i:08d}") for i in range(start, start + n // 3)]
    out += [c[:-1] + ("0" if c[-1] != "0" else "1") for c in out[::5]]  # wrong check chars
    return out


def _cold(subjects: list[str | None], today: date) -> list[tuple[Any, bool]]:
    frame = columnar._valid_subjects(pl.Series(subjects, dtype=pl.String).drop_nulls(), today)
    valid = {r[0]: (r[1], r[2]) for r in frame.rows()}
    return [valid.get(s, (None, False)) for s in subjects]  # type: ignore[arg-type]


def _warm(subjects: list[str | None], today: date) -> list[tuple[Any, bool]]:
    born, org = columnar.subject_columns(pl.Series(subjects, dtype=pl.String), today)
    return list(zip(born.to_list(), org.to_list(), strict=True))


# Was a bug, fixed: starting over at the bound forgets the subjects just found in the memory
def test_subjects_found_in_memory_survive_the_start_over_at_the_bound(
    monkeypatch: pytest.MonkeyPatch, fresh_memory: None
) -> None:
    """``subject_columns`` looks every subject up in the memory, then checks the unseen
    ones; when memory plus the new ones exceed ``KNOWN_SUBJECTS`` it replaces the memory
    by an empty one, adds only the newly checked subjects and looks *all* the chunk's
    subjects up again. The subjects of the chunk that had been found in the old memory are
    no longer there: they come back with ``_born`` null and ``_org`` false, as if they
    were invalid codes. Reproduction: KNOWN_SUBJECTS=50; subject_columns of 40 valid
    codes, then of 20 of them plus 20 new ones: the 20 remembered ones come back invalid.
    (check_chunk then sends their rows through the row validator: right records, but a
    whole chunk on the slow path each time the memory fills.)"""
    today = date.today()
    monkeypatch.setattr(columnar, "KNOWN_SUBJECTS", 50)
    codes = [
        make_resident_id("110105", date(1960 + i % 40, 1 + i % 12, 1 + i % 28), i + 1)
        for i in range(60)
    ]
    assert _warm(codes[:40], today) == _cold(codes[:40], today)
    mixed = codes[20:60]  # 20 remembered, 20 new: 40 + 20 > 50
    assert _warm(mixed, today) == _cold(mixed, today)


# Was a bug, fixed: consequence of the one above, through check_chunk
def test_a_chunk_at_the_bound_needs_no_row_validator(
    monkeypatch: pytest.MonkeyPatch, fresh_memory: None
) -> None:
    """The same start-over seen from ``check_chunk``: plainly good rows whose subjects were
    remembered are sent one by one through ``Record.from_dict`` (``_row_path``) because
    the memory forgot them while adding the chunk's new subjects. Reproduction:
    KNOWN_SUBJECTS=50; check_chunk of 40 rows with 40 subjects, then of 40 rows with 20 of
    those subjects and 20 new: 20 rows take the row path (none should)."""
    monkeypatch.setattr(columnar, "KNOWN_SUBJECTS", 50)
    codes = [
        make_resident_id("110105", date(1960 + i % 40, 1 + i % 12, 1 + i % 28), i + 1)
        for i in range(60)
    ]
    slow: list[int] = []
    real = columnar._row_path

    def spy(row: int, item: dict[str, Any], typed: bool) -> tuple[Any, ...]:
        slow.append(row)
        return real(row, item, typed)

    monkeypatch.setattr(columnar, "_row_path", spy)

    def items(subjects: list[str]) -> list[tuple[int, dict[str, Any]]]:
        return [(k + 1, rec(id=f"r{k}", subject=s)) for k, s in enumerate(subjects)]

    first = columnar.check_chunk(items(codes[:40]), True)
    assert first.height == 40
    assert not slow
    second = columnar.check_chunk(items(codes[20:60]), True)
    assert second.height == 40
    assert slow == [], f"{len(slow)} plainly good rows went through the row validator"


def test_the_bound_with_disjoint_and_repeated_chunks(
    monkeypatch: pytest.MonkeyPatch, fresh_memory: None
) -> None:
    """Chunks of subjects all new, all remembered, or repeated within the chunk, across
    several start-overs: each agrees with the cold check (where no subject of the chunk
    was remembered before a start-over)."""
    today = date.today()
    monkeypatch.setattr(columnar, "KNOWN_SUBJECTS", 30)
    codes = _codes(90)
    for k in range(0, len(codes), 25):
        part = codes[k : k + 25]
        part = part + part[::-1] + [None, "", "x"]
        assert _warm(part, today) == _cold(part, today)
        assert _warm(part, today) == _cold(part, today)  # now every one remembered
        assert len(columnar._known[0].valid) <= 30


def test_concurrent_subject_lookups_agree_with_serial(fresh_memory: None) -> None:
    """Eight threads look up overlapping chunks at once (the memory filled and read by all
    of them): each gets what a cold check gives."""
    today = date.today()
    codes = [*_codes(600), ORG, "91310115MA1K3BTP2B", None]
    parts = [codes[k::7] + codes[: 40 * (k + 1)] for k in range(16)]
    expected = [_cold(p, today) for p in parts]
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda p: _warm(p, today), parts * 3))
    assert got == expected * 3


@pytest.mark.parametrize("bound", [columnar.KNOWN_SUBJECTS, 100])
def test_concurrent_check_chunk_agrees_with_serial(
    bound: int, monkeypatch: pytest.MonkeyPatch, fresh_memory: None
) -> None:
    """check_chunk over twelve chunks in eight threads (and with a small bound, so the
    memory starts over while others read it): the same checked frames as one at a time
    with a cold memory each."""
    monkeypatch.setattr(columnar, "KNOWN_SUBJECTS", bound)
    codes = [
        c for c in _codes(300) if columnar._valid_subjects(pl.Series([c]), date.today()).height
    ]
    chunks = [
        [(n + 1, rec(id=f"c{k}-{n}", subject=codes[(k * 37 + n) % len(codes)])) for n in range(60)]
        for k in range(12)
    ]
    serial = []
    for part in chunks:
        monkeypatch.setattr(columnar, "_known", [])
        serial.append(columnar.check_chunk(part, True))
    monkeypatch.setattr(columnar, "_known", [])
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda p: columnar.check_chunk(p, True), chunks * 2))
    for a, b in zip(serial * 2, together, strict=True):
        assert a.equals(b)


class _Day:
    """A stand-in for ``columnar.date`` whose ``today()`` the test sets."""

    now = date.today()

    @classmethod
    def today(cls) -> date:
        return cls.now


def test_check_chunk_follows_the_day(monkeypatch: pytest.MonkeyPatch, fresh_memory: None) -> None:
    """A resident born on day B: checked on B-1 the columns cannot vouch for the code (a
    birth in the future), on B+1 they can, on B-1 again not (not vouched for from the
    memory of B+1). Seen through which rows go to the row validator."""
    born = date.today() - timedelta(days=400)
    code = make_resident_id("110105", born, 9)
    monkeypatch.setattr(columnar, "date", _Day)
    slow: list[int] = []
    real = columnar._row_path
    monkeypatch.setattr(
        columnar,
        "_row_path",
        lambda row, item, typed: (slow.append(row), real(row, item, typed))[1],
    )
    items = [
        (
            1,
            rec(
                id="a",
                subject=code,
                occurred_at="2026-01-01T00:00:00Z",
                recorded_at="2026-01-02T00:00:00Z",
            ),
        )
    ]
    counts = []
    for day in (born - timedelta(days=1), born + timedelta(days=1), born - timedelta(days=1)):
        _Day.now = day
        slow.clear()
        with contextlib.suppress(columnar.Fallback):
            columnar.check_chunk(items, True)
        counts.append(len(slow))
        assert columnar._known[0].today == day
    assert counts == [1, 0, 1]


def test_day_change_between_chunks_of_one_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Midnight passes between two chunks of one file: both paths still store the same."""
    monkeypatch.setattr(columnar, "CHUNK", 5)
    days = iter([date.today() - timedelta(days=1)] * 2 + [date.today()] * 100)

    class Turning:
        @classmethod
        def today(cls) -> date:
            return next(days)

    monkeypatch.setattr(columnar, "date", Turning)
    rows = [rec(id=f"t{i}", subject=[PERSON, ORG, DIGIT_PERSON][i % 3]) for i in range(23)]
    old, new = compare(tmp_path, file_source(rows))
    assert new["columnar"]
    assert len(old["store"]["records"]) == 23


NOT_TEXT = {
    "int": int(DIGIT_PERSON),
    "float": float(DIGIT_PERSON),
    "list": [DIGIT_PERSON],
    "object": {"subject": DIGIT_PERSON},
    "true": True,
    "null": None,
    "empty": "",
    "huge": 10**40,
    "nested list": [[PERSON]],
}


@pytest.mark.parametrize("kind", sorted(NOT_TEXT))
def test_subjects_that_are_not_text_after_the_code_was_remembered(
    kind: str, tmp_path: Path
) -> None:
    """The code as text is admitted first (and so remembered by the process); then a batch
    holding it as a JSON number, a list, an object, ...: refused alike by both paths,
    never vouched for by the memory."""
    good = [rec(id=f"g{i}", subject=DIGIT_PERSON) for i in range(3)]
    body = jsonl(good).encode()
    with xinyong.open_system(xinyong.Settings(db=str(tmp_path / "warm.db"))) as system:
        assert system.admission.admit_columns(body, None) is not None
    assert DIGIT_PERSON in columnar._known[0].valid
    rows = [*good, rec(id="odd", subject=NOT_TEXT[kind]), rec(id="g9", subject=DIGIT_PERSON)]
    old, new = compare(tmp_path / "cmp", file_source(rows))
    assert "errors" in old
    assert not new["columnar"]
    assert [e[0] for e in old["errors"]] == [4]


def test_residents_organisations_invalid_and_null_mixed_across_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Good subjects of both kinds in small chunks, with the memory warm from earlier chunks,
    and lower case / spaced forms (valid only after the row validator's cleaning)."""
    monkeypatch.setattr(columnar, "CHUNK", 7)
    subjects = [
        PERSON,
        ORG,
        DIGIT_PERSON,
        PERSON.lower(),
        f" {ORG}",
        "91310115ma1k3btp2b",
        "91310115MA1K3BTP2B",
        *_codes(9)[:12],
    ]
    subjects = [
        s
        for s in subjects
        if columnar._valid_subjects(pl.Series([s.strip().upper()]), date.today()).height
    ]
    rows = [rec(id=f"m{i}", subject=subjects[(i * 5) % len(subjects)]) for i in range(60)]
    old, new = compare(tmp_path, file_source(rows))
    assert "errors" not in old, old.get("errors")
    assert new["columnar"]
    for bad in (None, "110105194912310021", ORG[:-1] + "0"):
        rows2 = [*rows[:10], rec(id="bad", subject=bad)]
        old, new = compare(tmp_path / str(bad), file_source(rows2))
        assert "errors" in old
        assert not new["columnar"]


def test_an_invalid_subject_is_never_remembered(fresh_memory: None) -> None:
    today = date.today()
    bad = ["110105194912310021", ORG[:-1] + "0", "", " ", PERSON.lower(), "x" * 18]
    _warm([*bad, PERSON], today)
    assert set(columnar._known[0].valid) == {PERSON}
    assert _warm(bad, today) == [(None, False)] * len(bad)


def test_a_json_line_with_a_subject_number_text_as_written(tmp_path: Path) -> None:
    """The subject written as a JSON number with the digits of a valid code: refused alike."""
    line = json.dumps(rec(id="n1", subject="S")).replace('"S"', DIGIT_PERSON)
    old, new = compare(tmp_path, file_source(line + "\n"))
    assert "errors" in old
    assert not new["columnar"]
