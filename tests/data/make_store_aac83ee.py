"""How ``store_aac83ee.sql`` was made: a store written by the code of commit aac83ee (records,
ledger with a checkpoint, live state, journal: objection event, notices mark, access log).

Runs against that commit's source only (this version has no ``Journal(url)``)::

    mkdir /tmp/old && git archive aac83ee src | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old/src:tests .venv/bin/python tests/data/make_store_aac83ee.py old.db
    sqlite3 old.db .dump > tests/data/store_aac83ee.sql
"""

import sys
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from factories import ORG, PERSON, make_correction, make_record
from xinyong.adapters.journal import Access, Journal
from xinyong.adapters.state import LiveState
from xinyong.adapters.store import SqlRecordStore
from xinyong.adapters.store.ledger import Signer
from xinyong.core.objection_case import CaseEvent

db = Path(sys.argv[1])
key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
store = SqlRecordStore("sqlite:///" + str(db), signer=Signer(key, 3))
first = make_record(id="old-1")
store.append([first, make_record(id="old-2", subject=ORG, category="tax.arrears", amount=5000.0)])
store.append([make_correction(first, id="old-3", amount=100.0), make_record(id="old-4")])
LiveState(store).catch_up()
store.close()
j = Journal(str(db))
at = datetime(2024, 3, 1, tzinfo=UTC)
j.append_event(
    CaseEvent("obj-00000000000000aa", "filed", at, "subject", {"target": "old-1"}), PERSON, 0
)
j.log([Access("gate", "g1", PERSON, "check", "gate check")])
j.add_notices([], mark=(None, 4))
j.close()
print("made", db)
