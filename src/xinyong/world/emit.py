"""Reported rows become engine :class:`~xinyong.core.records.Record` objects.

This is the only place the world writes records, and it writes only what an agency would
send: the attributed subject's code, category, times, source, legal basis, evidence,
amount, severity, details (the ground of a listing decision) and the listing a
performance refers to. Ground truth (who really acted, whether the record is an error)
stays in the world's own tables.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from xinyong.core.records import Record, Status
from xinyong.world.agencies import AgencyTable
from xinyong.world.kinds import JUDGMENT, LISTING, Kind
from xinyong.world.scenario import Scenario


def evidence_texts(rows: pl.DataFrame, kinds: list[Kind]) -> list[str]:
    """Evidence per row: for court records a case number (民初 for the civil judgment, 执
    for enforcement: listings and removals) before the kind's evidence text."""
    base = pl.Series("e", [k.evidence for k in kinds])
    court = pl.Series("c", [k.court is not None for k in kinds])
    word = pl.Series("w", ["民初" if k.court == JUDGMENT else "执" for k in kinds])
    kind = rows["kind"].cast(pl.Int64)
    frame = pl.DataFrame(
        {
            "evidence": base.gather(kind),
            "court": court.gather(kind),
            "word": word.gather(kind),
            "case_no": rows["case_no"],
            "year": rows["case_year"],
        }
    )
    return (
        frame.select(
            pl.when(pl.col("court") & (pl.col("case_no") >= 0))
            .then(pl.format("({}){}{}号 {}", "year", "word", "case_no", "evidence"))
            .otherwise(pl.col("evidence"))
        )
        .to_series()
        .to_list()
    )


def to_records(
    rows: pl.DataFrame,
    codes: pl.Series,
    kinds: list[Kind],
    agencies: AgencyTable,
    scenario: Scenario,
) -> list[Record]:
    """One Record per reported row, in row order."""
    if rows.height == 0:
        return []
    sources = [scenario.agencies[name].source for name in agencies.names]
    categories = [k.category for k in kinds]
    bases = [k.legal_basis for k in kinds]
    severities = [k.severity for k in kinds]
    n_events = len(scenario.events)
    listing = n_events + LISTING
    grounds = {g: {"ground": str(g)} for g in range(7)}
    subjects = codes.gather(rows["subject"].cast(pl.Int64)).to_list()
    evidence = evidence_texts(rows, kinds)
    at = datetime.fromtimestamp
    active = Status.ACTIVE
    empty: dict[str, str] = {}
    out = []
    for rid, subj, kind, agency, occ, rec, amount, ground, ref, ev in zip(
        rows["id"].to_list(),
        subjects,
        rows["kind"].to_list(),
        rows["agency"].to_list(),
        rows["occurred"].to_list(),
        rows["recorded"].to_list(),
        rows["amount"].to_list(),
        rows["ground"].to_list(),
        rows["refers_to"].to_list(),
        evidence,
        strict=True,
    ):
        out.append(
            Record(
                rid,
                subj,
                categories[kind],
                at(occ, UTC),
                at(rec, UTC),
                sources[agency],
                bases[kind],
                ev,
                amount,
                severities[kind],
                active,
                ref,
                grounds[ground] if kind == listing else empty,
            )
        )
    return out


def to_frame(
    rows: pl.DataFrame,
    codes: pl.Series,
    kinds: list[Kind],
    agencies: AgencyTable,
    scenario: Scenario,
) -> pl.DataFrame:
    """The same records as :func:`to_records`, straight from the columns, in the layout of
    the record store's ``frame()`` (a test holds the two equal)."""
    from xinyong import FRAME_SCHEMA

    listing = len(scenario.events) + LISTING
    sources = pl.Series([scenario.agencies[n].source for n in agencies.names], dtype=pl.String)
    kind = rows["kind"].cast(pl.Int64)
    frame = pl.DataFrame(
        {
            "id": rows["id"],
            "subject": codes.gather(rows["subject"].cast(pl.Int64)),
            "category": pl.Series([k.category for k in kinds]).gather(kind),
            "occurred_at": pl.from_epoch(rows["occurred"], time_unit="s"),
            "recorded_at": pl.from_epoch(rows["recorded"], time_unit="s"),
            "source": sources.gather(rows["agency"].cast(pl.Int64)),
            "legal_basis": pl.Series([k.legal_basis for k in kinds]).gather(kind),
            "evidence": pl.Series(evidence_texts(rows, kinds), dtype=pl.String),
            "amount": rows["amount"],
            "severity": pl.Series([k.severity for k in kinds], dtype=pl.String).gather(kind),
            "status": pl.Series([Status.ACTIVE.value] * rows.height, dtype=pl.String),
            "refers_to": rows["refers_to"],
            "details": pl.DataFrame({"k": kind, "g": rows["ground"]})
            .select(
                pl.when(pl.col("k") == listing)
                .then(pl.format('{{"ground":"{}"}}', "g"))
                .otherwise(pl.lit("{}"))
            )
            .to_series(),
        }
    )
    return frame.with_columns(
        pl.col("occurred_at", "recorded_at").dt.replace_time_zone("UTC").dt.cast_time_unit("us"),
        # not accepted by a store yet: the store stamps it (its clock) when they are ingested
        pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("ingested_at"),
    ).cast(FRAME_SCHEMA)  # type: ignore[arg-type]


__all__ = ["evidence_texts", "to_frame", "to_records"]
