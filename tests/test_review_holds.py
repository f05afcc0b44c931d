"""The line on speech: convictions under articles commonly used against speech are held for
human review (core/review.py), configurable in the catalogue's [[review_holds]]."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources

from factories import make_record
from xinyong.core.review import DEFAULT_HOLDS, held
from xinyong.core.scoring.engine import score_subject
from xinyong.system.catalogue import parse_catalogue, review_holds
from xinyong.system.schemes_io import preset

SUBJECT = "371082198807150014"
AT = datetime(2024, 4, 1, tzinfo=UTC)


def _conviction(basis: str) -> object:
    return make_record(
        subject=SUBJECT,
        category="court.criminal_conviction",
        occurred_at="2024-03-01",
        recorded_at="2024-03-02",
        legal_basis=basis,
    )


def test_articles_matched_and_others_not() -> None:
    for basis in ("Criminal Law art. 293", "Article 105", "刑法第一百零五条", "arts. 246"):
        assert held(_conviction(basis), DEFAULT_HOLDS) is not None, basis  # type: ignore[arg-type]
    for basis in ("Criminal Law art. 264", "art. 2930", "art. 29"):
        assert held(_conviction(basis), DEFAULT_HOLDS) is None, basis  # type: ignore[arg-type]


def test_installed_catalogue_holds_the_speech_offences() -> None:
    assert [h.id for h in review_holds()] == ["speech-offences"]


def test_catalogue_can_configure_the_holds() -> None:
    text = resources.files("xinyong.data").joinpath("catalogue.toml").read_text("utf-8")
    head, _, tail = text.partition("[[review_holds]]")
    rest = tail[tail.index("# --- publication rules") :]
    emptied = parse_catalogue("review_holds = []\n" + head + rest, "test")
    assert emptied.review_holds == []
    r = [_conviction("Criminal Law art. 293")]
    rongcheng = preset("rongcheng")
    held_score = score_subject(rongcheng, SUBJECT, r, AT).score  # type: ignore[arg-type]
    free_score = score_subject(rongcheng, SUBJECT, r, AT, holds=emptied.review_holds).score  # type: ignore[arg-type]
    assert (held_score, free_score) == (1000, 900)
    note = score_subject(rongcheng, SUBJECT, r, AT).ignored[0].note  # type: ignore[arg-type]
    assert note.startswith("held for human review")
