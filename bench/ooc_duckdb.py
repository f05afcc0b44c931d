"""The out-of-core benchmark's DuckDB baseline: a hand-written SQL query of the same scores.

:data:`SQL` resolves amendments, applies the versions in force, caps, overrides and bands;
the scheme's rules, caps, overrides and bands are small tables on the connection
(:func:`duckdb_connection`); :func:`duckdb_records` hands the records over as DuckDB reads
them. The benchmark requires its scores and grades to equal the batch path's on every subject.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import duckdb
import polars as pl

from xinyong.adapters.batch.score import AnyScheme
from xinyong.core.schemes.model import PointsVersion
from xinyong.core.scoring.engine import version_in_force
from xinyong.core.timeutil import Duration

SQL = """
WITH known AS (
    SELECT * FROM records WHERE recorded_at <= $known_at
),
originals AS (
    SELECT subject, id, category, occurred_at FROM known WHERE status = 'active'
),
amendments AS (  -- only those that refer to a known active record of the same subject
    SELECT k.subject, k.refers_to, k.id, k.status, k.category, k.occurred_at, k.recorded_at
    FROM known k SEMI JOIN originals o ON o.subject = k.subject AND o.id = k.refers_to
    WHERE k.status <> 'active'
),
latest_correction AS (
    SELECT subject, refers_to, category, occurred_at
    FROM amendments WHERE status = 'correction'
    QUALIFY row_number() OVER (
        PARTITION BY subject, refers_to ORDER BY recorded_at DESC, id DESC) = 1
),
revoked AS (
    SELECT DISTINCT subject, refers_to FROM amendments WHERE status = 'revocation'
),
expiry AS (
    SELECT subject, refers_to, min(occurred_at) AS ends_at
    FROM amendments WHERE status = 'expiry' GROUP BY subject, refers_to
),
effective AS (  -- the records as corrected, not revoked, with their earliest expiry
    SELECT o.subject,
           coalesce(c.category, o.category) AS category,
           coalesce(c.occurred_at, o.occurred_at) AS occurred_at,
           e.ends_at
    FROM originals o
    LEFT JOIN latest_correction c ON c.subject = o.subject AND c.refers_to = o.id
    LEFT JOIN expiry e ON e.subject = o.subject AND e.refers_to = o.id
    ANTI JOIN revoked r ON r.subject = o.subject AND r.refers_to = o.id
),
alive AS (
    SELECT * FROM effective
    WHERE occurred_at <= $at AND (ends_at IS NULL OR $at < ends_at)
),
counted AS (  -- the rule of the version in force on the day the record occurred
    SELECT a.subject, a.category, r.points
    FROM alive a JOIN rules r
      ON r.category = a.category
     AND a.occurred_at >= r.version_from AND a.occurred_at < r.version_to
    WHERE $at < a.occurred_at + r.validity
),
per_category AS (  -- caps of the version in force at $at
    SELECT t.subject,
           CASE WHEN c.cap IS NULL THEN t.points
                ELSE greatest(-c.cap, least(c.cap, t.points)) END AS points
    FROM (SELECT subject, category, sum(points) AS points
          FROM counted GROUP BY subject, category) t
    LEFT JOIN caps c ON c.category = t.category
),
overridden AS (  -- the worst grade an override caps each subject at
    SELECT a.subject, max(o.grade_index) AS grade_index
    FROM alive a JOIN overrides o ON o.category = a.category
    WHERE a.occurred_at >= $first_day AND $at < a.occurred_at + o.validity
    GROUP BY a.subject
),
scored AS (
    SELECT s.subject,
           CAST(least(greatest($base + coalesce(p.points, 0), $floor), $ceiling) AS BIGINT)
               AS score,
           v.grade_index AS override_index
    FROM (SELECT DISTINCT subject FROM records) s
    LEFT JOIN (SELECT subject, sum(points) AS points
               FROM per_category GROUP BY subject) p ON p.subject = s.subject
    LEFT JOIN overridden v ON v.subject = s.subject
)
SELECT subject, score,
       list_extract($grades, 1 + greatest(
           (SELECT min(b.grade_index) FROM bands b WHERE score >= b.min_score),
           coalesce(override_index, 0))) AS grade
FROM scored
"""
"""The hand-written query; the scheme's rules, caps, overrides and bands are small tables."""


def _interval(d: Duration) -> str:
    return f"INTERVAL '{d.years} years {d.months} months {d.days} days'"


def duckdb_connection(scheme: AnyScheme, at: datetime) -> duckdb.DuckDBPyConnection:
    """A connection holding the scheme's tables (``rules``, ``caps``, ``overrides``, ``bands``)."""
    current = version_in_force(scheme, at)
    if not isinstance(current, PointsVersion):
        raise SystemExit(f"scheme {scheme.name!r}: the DuckDB baseline handles points schemes")
    con = duckdb.connect()
    con.execute(f"SET threads = {os.cpu_count() or 1}")
    rules, ends = [], [*[v.effective_from for v in scheme.versions[1:]], datetime(9999, 1, 1)]
    for v, end in zip(scheme.versions, ends, strict=True):
        for r in v.rules:
            rules.append(
                f"('{r.category}', {r.points.value}, {_interval(r.validity)}, "
                f"TIMESTAMP '{v.effective_from}', TIMESTAMP '{end:%Y-%m-%d}')"
            )
    con.execute(
        "CREATE TABLE rules (category VARCHAR, points BIGINT, validity INTERVAL, "
        "version_from TIMESTAMP, version_to TIMESTAMP)"
    )
    con.execute(f"INSERT INTO rules VALUES {', '.join(rules)}")
    con.execute("CREATE TABLE caps (category VARCHAR, cap BIGINT)")
    caps = [f"('{r.category}', {abs(r.cap.value)})" for r in current.rules if r.cap is not None]
    if caps:
        con.execute(f"INSERT INTO caps VALUES {', '.join(caps)}")
    con.execute("CREATE TABLE overrides (category VARCHAR, grade_index INT, validity INTERVAL)")
    rows = [
        f"('{c}', {current.grades.index(o.max_grade)}, {_interval(o.validity)})"
        for o in current.overrides
        for c in o.categories
    ]
    if rows:
        con.execute(f"INSERT INTO overrides VALUES {', '.join(rows)}")
    con.execute("CREATE TABLE bands (grade_index INT, min_score BIGINT)")
    low = -(2**62)  # the last band takes every score
    bands = [
        f"({i}, {b.min.value if b.min is not None else low})" for i, b in enumerate(current.bands)
    ]
    con.execute(f"INSERT INTO bands VALUES {', '.join(bands)}")
    return con


def duckdb_scores(
    con: duckdb.DuckDBPyConnection, scheme: AnyScheme, at: datetime, known_at: datetime
) -> pl.DataFrame:
    """Run :data:`SQL` on the connection's ``records`` (naive UTC timestamps)."""
    current = version_in_force(scheme, at)
    naive = "%Y-%m-%d %H:%M:%S.%f"
    params = {
        "at": at.astimezone(UTC).strftime(naive),
        "known_at": known_at.astimezone(UTC).strftime(naive),
        "first_day": f"{scheme.versions[0].effective_from} 00:00:00",
        "base": current.base.value,
        "floor": current.floor if current.floor is not None else -(2**62),
        "ceiling": current.ceiling if current.ceiling is not None else 2**62,
        "grades": list(current.grades),
    }
    sql = SQL
    for name in ("at", "known_at", "first_day"):  # typed literals, not text comparisons
        sql = sql.replace(f"${name}", f"CAST(${name} AS TIMESTAMP)")
    table = con.sql(sql, params=params).to_arrow_table()
    out = pl.from_arrow(table)
    assert isinstance(out, pl.DataFrame)
    return out


def duckdb_records(frame: pl.DataFrame) -> pl.DataFrame:
    """The same records for DuckDB: text category and status, naive UTC timestamps."""
    return frame.select(
        "id",
        "subject",
        pl.col("category").cast(pl.String),
        pl.col("occurred_at").dt.replace_time_zone(None),
        pl.col("recorded_at").dt.replace_time_zone(None),
        pl.col("status").cast(pl.String),
        "refers_to",
    )
