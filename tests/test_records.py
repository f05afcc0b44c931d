"""Records: validation of loosely typed input, canonical hashing, resolution of amendments."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from xinyong.core.errors import InvalidRecord
from xinyong.core.records import Record, Status, resolve

T = datetime(2024, 1, 1, tzinfo=UTC)


def raw(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "r1",
        "subject": "11010519491231002x",
        "category": "traffic.violation",
        "occurred_at": "2024-03-01",
        "recorded_at": "2024-03-02T10:00:00+08:00",
        "source": "traffic-police",
        "legal_basis": "Road Traffic Safety Law art. 90",
    }
    base.update(overrides)
    return base


def test_from_dict_normalises_subject_and_times() -> None:
    r = Record.from_dict(raw())
    assert r.subject == "11010519491231002X"
    assert r.recorded_at == datetime(2024, 3, 2, 2, 0, tzinfo=UTC)
    assert r.status is Status.ACTIVE


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"id": ""}, "id", "required"),
        ({"legal_basis": None}, "legal_basis", "required"),
        ({"occurred_at": "2024-13-01"}, "occurred_at", "ISO 8601"),
        ({"occurred_at": "2024-03-05"}, "occurred_at", "cannot be recorded before"),
        ({"amount": "lots"}, "amount", "must be a number"),
        ({"amount": "nan"}, "amount", "finite"),
        ({"severity": "huge"}, "severity", "minor, general, serious"),
        ({"status": "deleted"}, "status", "active, correction"),
        ({"status": "correction"}, "refers_to", "must name the record"),
        ({"details": "[1, 2]"}, "details", "object"),
        ({"details": "{not json"}, "details", "JSON object"),
        ({"colour": "red"}, "colour", "unknown field"),
        ({"source": 7}, "source", "must be text"),
    ],
)
def test_from_dict_errors_name_row_and_field(
    overrides: dict[str, object], field: str, fragment: str
) -> None:
    with pytest.raises(InvalidRecord) as e:
        Record.from_dict(raw(**overrides), row=7)
    assert e.value.field == field
    assert e.value.row == 7
    assert fragment in str(e.value)
    assert str(e.value).startswith("row 7, field")


def test_content_hash_ignores_input_spelling_but_not_content() -> None:
    a = Record.from_dict(raw())
    b = Record.from_dict(raw(subject="11010519491231002X", occurred_at="2024-03-01T00:00:00Z"))
    c = Record.from_dict(raw(evidence="ticket 1"))
    assert a.content_hash() == b.content_hash()
    assert a.content_hash() != c.content_hash()


def rec(
    id: str,
    status: Status = Status.ACTIVE,
    refers_to: str | None = None,
    day: int = 1,
    recorded_day: int = 1,
    category: str = "traffic.violation",
) -> Record:
    return Record(
        id=id,
        subject="S",
        category=category,
        occurred_at=datetime(2024, 1, day, tzinfo=UTC),
        recorded_at=datetime(2024, 2, recorded_day, tzinfo=UTC),
        source="x",
        legal_basis="b",
        status=status,
        refers_to=refers_to,
    )


def test_resolve_applies_latest_correction_revocation_and_earliest_expiry() -> None:
    records = [
        rec("a"),
        rec("b"),
        rec("c"),
        rec("a1", Status.CORRECTION, "a", day=5, recorded_day=2, category="traffic.drunk_driving"),
        rec("a2", Status.CORRECTION, "a", day=6, recorded_day=3, category="civic.heroic_act"),
        rec("b1", Status.REVOCATION, "b", recorded_day=2),
        rec("c1", Status.EXPIRY, "c", day=20, recorded_day=4),
        rec("c2", Status.EXPIRY, "c", day=10, recorded_day=5),
    ]
    effective, voided = resolve(records, datetime(2024, 3, 1, tzinfo=UTC))
    by_id = {e.record.id: e for e in effective}
    assert set(by_id) == {"a", "c"}
    assert by_id["a"].record.category == "civic.heroic_act"
    assert by_id["a"].record.occurred_at.day == 6
    assert by_id["a"].amended_by == ("a1", "a2")
    assert by_id["c"].ends_at == datetime(2024, 1, 10, tzinfo=UTC)
    assert [v.record.id for v in voided] == ["b"]


def test_resolve_respects_known_at() -> None:
    records = [rec("a"), rec("a1", Status.REVOCATION, "a", recorded_day=10)]
    effective, _ = resolve(records, datetime(2024, 2, 5, tzinfo=UTC))
    assert [e.record.id for e in effective] == ["a"]
    effective, voided = resolve(records, datetime(2024, 2, 10, tzinfo=UTC))
    assert effective == []
    assert [v.revoked_by for v in voided] == ["a1"]


def test_resolve_does_not_depend_on_input_order() -> None:
    records = [rec(f"r{i}", day=1 + i % 20) for i in range(30)]
    records += [
        rec("x", Status.CORRECTION, "r3", day=25, recorded_day=2),
        rec("y", Status.REVOCATION, "r4", recorded_day=3),
    ]
    at = datetime(2024, 3, 1, tzinfo=UTC)
    expected = resolve(records, at)
    shuffled = records[:]
    random.Random(1).shuffle(shuffled)
    assert resolve(shuffled, at) == expected


def test_times_are_normalised_to_utc_whatever_zone_they_come_in() -> None:
    from datetime import timedelta, timezone

    beijing = timezone(timedelta(hours=8))
    r = rec("a")
    shifted = Record(
        **{
            **{k: getattr(r, k) for k in Record.__slots__},
            "occurred_at": datetime(2024, 1, 1, 8, tzinfo=beijing),
        }
    )
    assert shifted.occurred_at == datetime(2024, 1, 1, tzinfo=UTC)
    assert shifted.occurred_at.tzinfo is UTC
