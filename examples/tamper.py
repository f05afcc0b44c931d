"""Tamper with a copy of a SQLite store, as an insider with the file would: drop the
append-only triggers and change one record's category. For the ledger example in the README:

    python examples/tamper.py ledger.db tampered.db tp-2024-0002
"""

import shutil
import sqlite3
import sys

source, target, record_id = sys.argv[1:4]
shutil.copyfile(source, target)
with sqlite3.connect(target) as db:
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        db.execute(f'DROP TRIGGER "{name}"')
    changed = db.execute(
        "UPDATE records SET category = 'traffic.violation' WHERE id = ?", (record_id,)
    ).rowcount
print(f"{target}: triggers dropped, {changed} record(s) changed")
