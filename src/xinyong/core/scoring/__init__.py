"""Scoring one subject with a full explanation (the reference path; batch must agree)."""

from xinyong.core.scoring.engine import score_subject
from xinyong.core.scoring.result import Item, ScoreResult

__all__ = ["Item", "ScoreResult", "score_subject"]
