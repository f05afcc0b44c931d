"""Corrections, revocations and expiries applied to a whole records frame at once.

The columnar twin of :func:`xinyong.core.records.resolve`, with the same rules:

* only records the store held at ``known_at`` are known (accepted by then, the
  ``ingested_at`` column, else ``recorded_at``; ``None``: all of them);
* an amendment (correction, revocation, expiry) counts only if it refers to a known
  ``active`` record *of the same subject* (it is matched on ``(subject, id)``);
* the latest correction by ``(recorded_at, id)`` replaces the content of its target
  (category, occurred_at, legal_basis, evidence, amount, severity, details);
* a revocation voids its target whatever else happened;
* the earliest ``occurred_at`` of the expiries of a record is its ``ends_at``.

Record ids are assumed unique within a subject (the record store guarantees it; with
duplicate active ids the reference resolver keeps one record per id, this one keeps all).

Amendments are few, so only the rows they name are joined: one ``is_in`` on the ids picks
the candidate rows, only those go through the join, and the rest pass through untouched
(no copy of the big frame). When nothing is amended by ``known_at`` there is no join at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from xinyong.adapters.batch.frame import (
    CORRECTION,
    EXPIRY,
    REVOCATION,
    STATUSES,
    check_columns,
    codes,
    equals,
    known_by,
    micros,
)
from xinyong.core.records import Status

CONTENT = ("category", "occurred_at", "legal_basis", "evidence", "amount", "severity", "details")
"""The fields a correction replaces (as :meth:`Record.with_content_of`)."""

EFFECTIVE = "_eff"  # an active record, known, not revoked (and, if amended, in its corrected row)
ENDS = "_end"  # the earliest known expiry (type of occurred_at), or null


@dataclass(frozen=True, slots=True)
class Annotated:
    """Every row of a frame with ``_eff`` and ``_end``, corrections applied.

    An amended record appears twice: its original row, no longer effective, and a corrected
    row (effective unless revoked) at the end. Each subject of the frame keeps its rows.
    """

    rows: pl.LazyFrame
    amended: bool  # whether any amendment known by then applies (else ``_end`` is all null)


def annotate(
    frame: pl.DataFrame,
    known_at: datetime | None,
    *,
    content: Sequence[str],
    keep: Sequence[str] | None = None,
    explain: bool = False,
) -> Annotated:
    """Apply the amendments of ``frame`` known by ``known_at`` (see the module docstring).

    ``frame`` needs :data:`REQUIRED_COLUMNS` and the ``content`` columns a correction replaces.
    The rows have the ``keep`` columns (default: all; ``subject`` and ``content`` at least)
    plus ``_eff`` and ``_end``. With ``explain``, ``revoked_by`` (first revocation; null unless
    revoked) and ``amended_by`` (corrections and expiries applied, oldest first) are added.
    """
    schema = frame.schema
    known = known_by(schema, known_at)
    active = equals("status", schema["status"], Status.ACTIVE.value)
    names = list(dict.fromkeys(["subject", *(frame.columns if keep is None else keep), *content]))
    no_end = pl.lit(None, dtype=schema["occurred_at"]).alias(ENDS)
    amend = (
        frame.lazy()
        .filter(known & ~active)
        .select(
            "subject",
            "refers_to",
            "id",
            codes("status", schema["status"], STATUSES).alias("_st"),
            micros("recorded_at", schema["recorded_at"]).alias("_rec"),
            *dict.fromkeys([*content, "occurred_at"]),
        )
        .filter(pl.col("_st").is_in([CORRECTION, REVOCATION, EXPIRY]))
        .collect()
    )
    if amend.height == 0:
        rows = frame.lazy().select(
            *names, (known & active).alias(EFFECTIVE), no_end, *_no_explanation(explain)
        )
        return Annotated(rows, amended=False)
    table = _amendments(amend, content, explain)
    # candidate rows: known, active, and their id among the referred ids. Text ids are
    # compared by hash (cheaper than is_in on text): a collision only adds a candidate,
    # which the exact join on (subject, id) then leaves unchanged.
    ids, refs = pl.col("id"), table.get_column("_ref").unique()
    if isinstance(schema["id"], pl.String):
        ids, refs = ids.hash(), refs.hash()
    candidate = frame.select((known & active & ids.is_in(refs.implode())).alias("_c")).to_series()
    main = (
        frame.with_columns(candidate)
        .lazy()
        .select(
            *names,
            (known & active & ~pl.col("_c")).alias(EFFECTIVE),
            no_end,
            *_no_explanation(explain),
        )
    )
    corrected = pl.col("_has_corr").fill_null(False)
    targets = (
        frame.select(list(dict.fromkeys([*names, "id"])))
        .filter(candidate)
        .join(table, left_on=["subject", "id"], right_on=["subject", "_ref"], how="left")
        .with_columns(
            *(
                pl.when(corrected).then(pl.col(f"_new_{c}")).otherwise(pl.col(c)).alias(c)
                for c in content
            ),
            (~pl.col("_rev").fill_null(False)).alias(EFFECTIVE),
        )
        .select(*names, EFFECTIVE, ENDS, *(["revoked_by", "amended_by"] if explain else []))
    )
    return Annotated(pl.concat([main, targets.lazy()], how="vertical"), amended=True)


def _amendments(amend: pl.DataFrame, content: Sequence[str], explain: bool) -> pl.DataFrame:
    """Per (subject, target id): latest correction's content, revoked?, earliest expiry."""
    st = pl.col("_st")
    is_corr = st == CORRECTION
    explanation = [
        pl.col("id").filter(st == REVOCATION).first().alias("revoked_by"),
        pl.col("id").filter(st.is_in([CORRECTION, EXPIRY])).alias("amended_by"),
    ]
    return (
        amend.sort("_rec", "id")  # order within groups is kept: last = latest
        .group_by("subject", "refers_to")
        .agg(
            is_corr.any().alias("_has_corr"),
            *(pl.col(c).filter(is_corr).last().alias(f"_new_{c}") for c in content),
            (st == REVOCATION).any().alias("_rev"),
            pl.col("occurred_at").filter(st == EXPIRY).min().alias(ENDS),
            *(explanation if explain else []),
        )
        .rename({"refers_to": "_ref"})
    )


def _no_explanation(explain: bool) -> list[pl.Expr]:
    if not explain:
        return []
    return [
        pl.lit(None, dtype=pl.String).alias("revoked_by"),
        pl.lit(None, dtype=pl.List(pl.String)).alias("amended_by"),
    ]


def resolve_frame(
    frame: pl.DataFrame | pl.LazyFrame, known_at: datetime | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(effective, voided)`` records at ``known_at``, like :func:`records.resolve`.

    ``effective``: the known active records that are not revoked, with their content as
    corrected, plus ``ends_at`` (earliest expiry, or null) and ``amended_by`` (ids of the
    corrections and expiries applied, oldest first). ``voided``: the revoked ones (as
    corrected) with ``revoked_by``. Both sorted by (occurred_at, id).
    """
    df = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
    check_columns(df.schema)
    content = [c for c in CONTENT if c in df.schema]
    out = (
        annotate(df, known_at, content=content, explain=True)
        .rows.rename({ENDS: "ends_at"})
        .sort("occurred_at", "id")
        .collect()
    )
    none = pl.lit([], dtype=pl.List(pl.String))
    effective = out.filter(pl.col(EFFECTIVE)).select(
        *df.columns, "ends_at", pl.col("amended_by").fill_null(none)
    )
    voided = out.filter(pl.col("revoked_by").is_not_null()).select(*df.columns, "revoked_by")
    return effective, voided
