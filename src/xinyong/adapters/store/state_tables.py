"""Tables of the materialised state: a cache derived from the record log, never part of it.

The ``records`` table is the truth and is append-only. These tables hold, per subject, the
result of evaluating its records (scores with explanations, list entries, gate answers) and
are **replaced** whenever the subject's records change or the state's validity horizon passes
(:mod:`xinyong.adapters.state`). They can be dropped and rebuilt from the log at any time:

- ``state_mark``: one row, ``seq`` = the last record position whose subject's state is
  written (the high-water mark), and a ``fingerprint`` of the schemes and memoranda the state
  was computed with;
- ``state_subjects``: per subject: ``as_of`` (the instant evaluated), ``valid_until`` (the
  first instant it may change without a new record; NULL: never), ``seq`` (the subject's
  last record position included), refused listings (JSON);
- ``state_schemes``: per (subject, scheme in force): score, grade, the explained result and
  the subject's list entries under the scheme (JSON);
- ``state_gates``: per (subject, gate): the decision and its measures at ``as_of`` (JSON).

Times are microseconds since the epoch (UTC), as in ``records``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
)

state_metadata = MetaData()

state_mark = Table(
    "state_mark",
    state_metadata,
    Column("id", Integer, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("fingerprint", Text, nullable=False),
)

state_subjects = Table(
    "state_subjects",
    state_metadata,
    Column("subject", Text, primary_key=True),
    Column("as_of", BigInteger, nullable=False),
    Column("valid_until", BigInteger, nullable=True),
    Column("seq", BigInteger, nullable=False),
    Column("refused", Text, nullable=False),
)

state_schemes = Table(
    "state_schemes",
    state_metadata,
    Column("subject", Text, nullable=False),
    Column("scheme", Text, nullable=False),
    Column("score", BigInteger, nullable=True),
    Column("grade", Text, nullable=True),
    Column("result", Text, nullable=False),
    Column("entries", Text, nullable=False),
    PrimaryKeyConstraint("subject", "scheme"),
)

state_gates = Table(
    "state_gates",
    state_metadata,
    Column("subject", Text, nullable=False),
    Column("gate", Text, nullable=False),
    Column("decision", Text, nullable=False),
    Column("answer", Text, nullable=False),
    PrimaryKeyConstraint("subject", "gate"),
)


def create_state_tables(conn: Connection) -> None:
    """Migration ``0002_state``."""
    state_metadata.create_all(conn)
