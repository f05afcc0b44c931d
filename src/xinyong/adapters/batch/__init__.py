"""Columnar batch rescoring: a whole population in one Polars query, same results as the
reference engine (:func:`xinyong.core.scoring.engine.score_subject`) subject by subject."""

from xinyong.adapters.batch.frame import FRAME_SCHEMA, REQUIRED_COLUMNS, records_frame
from xinyong.adapters.batch.resolve import resolve_frame
from xinyong.adapters.batch.score import score_population

__all__ = [
    "FRAME_SCHEMA",
    "REQUIRED_COLUMNS",
    "records_frame",
    "resolve_frame",
    "score_population",
]
