"""Corrections, revocations and expiries applied to a whole records frame at once.

The columnar twin of :func:`xinyong.core.records.resolve`, with the same rules:

* only records recorded by ``known_at`` are known;
* an amendment (correction, revocation, expiry) counts only if it refers to a known
  ``active`` record *of the same subject* (it is matched on ``(subject, id)``);
* the latest correction by ``(recorded_at, id)`` replaces the content of its target
  (category, occurred_at, legal_basis, evidence, amount, severity, details);
* a revocation voids its target whatever else happened;
* the earliest ``occurred_at`` of the expiries of a record is its ``ends_at``.

Record ids are assumed unique within a subject (the record store guarantees it; with
duplicate active ids the reference resolver keeps one record per id, this one keeps all).

Amendments are few, so only the rows they name are joined: a cheap ``is_in`` on the ids picks
the candidate rows, and only those go through the join; the rest pass through untouched.
When nothing is amended by ``known_at`` there is no join at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl

from xinyong.adapters.batch.frame import (
    ACTIVE,
    CORRECTION,
    EXPIRY,
    REVOCATION,
    STATUSES,
    check_columns,
    codes,
    instant_us,
    micros,
)

CONTENT = ("category", "occurred_at", "legal_basis", "evidence", "amount", "severity", "details")
"""The fields a correction replaces (as :meth:`Record.with_content_of`)."""

STATUS = "_st"  # status code column (index in STATUSES)
RECORDED = "_rec"  # recorded_at in microseconds
EFFECTIVE = "_eff"  # output: an active record, known, not revoked
ENDS = "_end"  # output: the earliest known expiry (dtype of the occurred column), or null


def annotate(
    lf: pl.LazyFrame,
    known_us: int,
    *,
    occurred: str,
    content: Sequence[str],
    explain: bool = False,
) -> pl.LazyFrame:
    """Every row of ``lf`` with ``_eff`` and ``_end`` added and corrections applied.

    ``lf`` needs ``subject``, ``id``, ``refers_to``, ``_st`` (status codes) and ``_rec``
    (recorded_at in microseconds), plus ``occurred`` (the column an expiry's end is read from)
    and the ``content`` columns a correction replaces. Rows keep their columns and order of
    columns; targets of amendments may move to the end. With ``explain``, ``revoked_by``
    (first revocation) and ``amended_by`` (corrections and expiries, oldest first) are added.
    """
    known = pl.col(RECORDED) <= known_us
    st = pl.col(STATUS)
    names = lf.collect_schema().names()
    amend = (
        lf.filter(known & st.is_in([CORRECTION, REVOCATION, EXPIRY]))
        .select(
            "subject", "refers_to", "id", STATUS, RECORDED, *dict.fromkeys([*content, occurred])
        )
        .collect()
    )
    if amend.height == 0:
        return lf.with_columns(
            (known & (st == ACTIVE)).alias(EFFECTIVE),
            pl.lit(None, dtype=lf.collect_schema()[occurred]).alias(ENDS),
            *_no_explanation(explain),
        )
    is_corr = st == CORRECTION
    table = (
        amend.sort(RECORDED, "id")
        .group_by("subject", "refers_to")
        .agg(
            is_corr.any().alias("_has_corr"),
            *(pl.col(c).filter(is_corr).last().alias(f"_new_{c}") for c in content),
            (st == REVOCATION).any().alias("_rev"),
            pl.col(occurred).filter(st == EXPIRY).min().alias(ENDS),
            *(
                [
                    pl.col("id").filter(st == REVOCATION).first().alias("revoked_by"),
                    pl.col("id").filter(st.is_in([CORRECTION, EXPIRY])).alias("amended_by"),
                ]
                if explain
                else []
            ),
        )
        .rename({"refers_to": "_ref"})
    )
    refs = table.get_column("_ref").unique().implode()
    candidate = known & (st == ACTIVE) & pl.col("id").is_in(refs)
    main = lf.filter(~candidate).with_columns(
        (known & (st == ACTIVE)).alias(EFFECTIVE),
        pl.lit(None, dtype=lf.collect_schema()[occurred]).alias(ENDS),
        *_no_explanation(explain),
    )
    corrected = pl.col("_has_corr").fill_null(False)
    targets = (
        lf.filter(candidate)
        .join(table.lazy(), left_on=["subject", "id"], right_on=["subject", "_ref"], how="left")
        .with_columns(
            *(
                pl.when(corrected).then(pl.col(f"_new_{c}")).otherwise(pl.col(c)).alias(c)
                for c in content
            ),
            (~pl.col("_rev").fill_null(False)).alias(EFFECTIVE),
        )
        .select(*names, EFFECTIVE, ENDS, *(["revoked_by", "amended_by"] if explain else []))
    )
    return pl.concat([main, targets], how="vertical")


def _no_explanation(explain: bool) -> list[pl.Expr]:
    if not explain:
        return []
    return [
        pl.lit(None, dtype=pl.String).alias("revoked_by"),
        pl.lit(None, dtype=pl.List(pl.String)).alias("amended_by"),
    ]


def resolve_frame(
    frame: pl.DataFrame | pl.LazyFrame, known_at: datetime
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(effective, voided)`` records at ``known_at``, like :func:`records.resolve`.

    ``effective``: the known active records that are not revoked, with their content as
    corrected, plus ``ends_at`` (earliest expiry, or null) and ``amended_by`` (ids of the
    corrections and expiries applied, oldest first). ``voided``: the revoked ones (as
    corrected) with ``revoked_by``. Both sorted by (occurred_at, id).
    """
    lf = frame.lazy()
    schema = lf.collect_schema()
    check_columns(schema)
    content = [c for c in CONTENT if c in schema]
    lf = lf.with_columns(
        codes("status", schema["status"], STATUSES).alias(STATUS),
        micros("recorded_at", schema["recorded_at"]).alias(RECORDED),
    )
    out = (
        annotate(lf, instant_us(known_at), occurred="occurred_at", content=content, explain=True)
        .filter(pl.col(STATUS) == ACTIVE, pl.col(RECORDED) <= instant_us(known_at))
        .rename({ENDS: "ends_at"})
        .sort("occurred_at", "id")
        .collect()
    )
    keep = schema.names()
    none: pl.Expr = pl.lit([], dtype=pl.List(pl.String))
    effective = out.filter(pl.col(EFFECTIVE)).select(
        *keep, "ends_at", pl.col("amended_by").fill_null(none)
    )
    voided = out.filter(~pl.col(EFFECTIVE)).select(*keep, "revoked_by")
    return effective, voided
