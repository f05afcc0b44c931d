"""Every table of a store's database, on one SQLAlchemy ``MetaData``; the only place tables
are declared. They are created by the recorded migrations (:mod:`.migrations`).

- the log: ``records`` (append-only; ``seq`` is the append position, times are microseconds
  since the epoch, UTC, ``details`` is canonical JSON) and ``migrations``;
- the ledger (:mod:`.ledger`): ``ledger``, ``checkpoints`` (append-only);
- the live state (:mod:`xinyong.adapters.state`): a cache derived from the log, never part
  of it, replaced whenever a subject's records change or its validity horizon passes, and
  rebuilt from the log at will: ``state_mark`` (one row: ``seq``, the last record position
  whose subject's state is written, and the ``fingerprint`` of the schemes and memoranda),
  ``state_subjects`` (per subject: ``as_of``, ``valid_until`` (NULL: never), ``seq``, the
  refused listings as JSON), ``state_schemes`` (per subject and scheme in force: score,
  grade, explained result and list entries as JSON), ``state_gates`` (per subject and gate:
  the decision and its measures as JSON);
- the journal (:mod:`xinyong.adapters.journal`): ``objection_events``, ``notices``,
  ``notice_marks``, ``access_log`` and, on SQLite, ``access_log_by_whom`` and
  ``access_log_indexed`` (append-only).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
)

from xinyong.core.records import FIELDS

metadata = MetaData()
_KEY = BigInteger().with_variant(Integer, "sqlite")  # SQLite: the rowid itself

records_table = Table(
    "records",
    metadata,
    Column("seq", _KEY, primary_key=True),
    Column("id", Text, nullable=False, unique=True),
    Column("subject", Text, nullable=False),
    Column("category", Text, nullable=False),
    Column("occurred_at", BigInteger, nullable=False),
    Column("recorded_at", BigInteger, nullable=False),
    Column("source", Text, nullable=False),
    Column("legal_basis", Text, nullable=False),
    Column("evidence", Text, nullable=False),
    Column("amount", Float, nullable=True),
    Column("severity", Text, nullable=True),
    Column("status", Text, nullable=False),
    Column("refers_to", Text, nullable=True),
    Column("details", Text, nullable=False),
    Column("content_hash", Text, nullable=False),
    Column("ingested_at", BigInteger, nullable=False),
    Column("writer", Text, nullable=True),  # the principal that wrote it (0005_writer)
    Index("ix_records_subject_seq", "subject", "seq"),
)
RECORD_COLUMNS = [records_table.c[f] for f in FIELDS]

migrations_table = Table(
    "migrations",
    metadata,
    Column("name", Text, primary_key=True),
    Column("applied_at", BigInteger, nullable=False),
)

# --- the ledger ------------------------------------------------------------------------------

ledger_table = Table(
    "ledger",
    metadata,
    Column("position", _KEY, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("chain", Text, nullable=False),
)
checkpoints_table = Table(
    "checkpoints",
    metadata,
    Column("position", _KEY, primary_key=True, autoincrement=False),
    Column("since", BigInteger, nullable=False),
    Column("head", Text, nullable=False),
    Column("root", Text, nullable=False),
    Column("made_at", BigInteger, nullable=False),
    Column("public_key", Text, nullable=False),
    Column("signature", Text, nullable=False),
)

# --- the live state --------------------------------------------------------------------------

state_mark = Table(
    "state_mark",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("fingerprint", Text, nullable=False),
)
state_subjects = Table(
    "state_subjects",
    metadata,
    Column("subject", Text, primary_key=True),
    Column("as_of", BigInteger, nullable=False),
    Column("valid_until", BigInteger, nullable=True),
    Column("seq", BigInteger, nullable=False),
    Column("refused", Text, nullable=False),
)
state_schemes = Table(
    "state_schemes",
    metadata,
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
    metadata,
    Column("subject", Text, nullable=False),
    Column("gate", Text, nullable=False),
    Column("decision", Text, nullable=False),
    Column("answer", Text, nullable=False),
    PrimaryKeyConstraint("subject", "gate"),
)
STATE_TABLES = (state_mark, state_subjects, state_schemes, state_gates)

# --- the journal -----------------------------------------------------------------------------

objection_events_table = Table(
    "objection_events",
    metadata,
    Column("seq", _KEY, primary_key=True),
    Column("case_id", Text, nullable=False),
    Column("n", Integer, nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("kind", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("data", Text, nullable=False),
    UniqueConstraint("case_id", "n", name="uq_objection_events_case_n"),
    Index("ix_objection_events_subject", "subject"),
)
notices_table = Table(
    "notices",
    metadata,
    Column("seq", _KEY, primary_key=True),
    Column("id", Text, nullable=False, unique=True),
    Column("subject", Text, nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("kind", Text, nullable=False),
    Column("body", Text, nullable=False),
    Index("ix_notices_subject", "subject", "seq"),
)
#: How far along the record log notices have been produced: one row per step, append-only;
#: the newest row's ``upto`` is the last log position whose notices are stored. Notices and
#: the step that covers them are written in one transaction, so a crash loses neither.
notice_marks = Table(
    "notice_marks",
    metadata,
    Column("seq", _KEY, primary_key=True),
    Column("upto", BigInteger, nullable=False, unique=True),
    Column("at", BigInteger, nullable=False),
)
access_log_table = Table(
    "access_log",
    metadata,
    Column("seq", _KEY, primary_key=True),
    Column("at", BigInteger, nullable=False),
    Column("role", Text, nullable=False),
    Column("who", Text, nullable=False),
    Column("whom", Text, nullable=False),
    Column("why", Text, nullable=False),
    Column("what", Text, nullable=False),
)
#: SQLite: the log by subject, filled in bulk (see :mod:`xinyong.adapters.journal`).
access_log_by_whom = Table(
    "access_log_by_whom",
    metadata,
    Column("whom", Text, primary_key=True),
    Column("seq", _KEY, primary_key=True),
    sqlite_with_rowid=False,
)
access_log_indexed = Table(
    "access_log_indexed",
    metadata,
    Column("seq", _KEY, primary_key=True),
    Column("upto", BigInteger, nullable=False),
)
#: Receipts of objections filed in the public role (issue 12): the SHA-256 of each receipt
#: handed out (never the receipt: reading the table does not let anyone withdraw), the filing
#: it was given for (China day, client address, subject, target) and the case filed for it
#: (``NULL`` when the target was not real, which the caller is never told).
public_receipts = Table(
    "public_receipts",
    metadata,
    Column("seq", _KEY, primary_key=True),
    Column("receipt", Text, nullable=False, unique=True),
    Column("at", BigInteger, nullable=False),
    Column("day", Text, nullable=False),
    Column("client", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("target", Text, nullable=False),
    Column("case_id", Text),
    Index("ix_public_receipts_filing", "day", "client", "subject", "kind", "target"),
)
JOURNAL_TABLES = (
    objection_events_table,
    notices_table,
    notice_marks,
    access_log_table,
    access_log_by_whom,
    access_log_indexed,
)
