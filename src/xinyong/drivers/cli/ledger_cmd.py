"""``xinyong ledger``: make a signing key, sign checkpoints, verify the tamper-evident ledger.

Thin: each command calls one method of the store's ledger port
(:class:`~xinyong.system.ports.LedgerPort`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from xinyong.adapters.store.ledger import KEY_ENV, Signer, load_key, new_key
from xinyong.core.errors import XinyongError
from xinyong.core.ledger.audit import Audit
from xinyong.core.ledger.checkpoint import Checkpoint, public_hex, signature_ok
from xinyong.drivers.cli.options import (
    DEFAULT_DB,
    DbOpt,
    JsonOpt,
    err,
    fail,
    out,
    print_json,
    system_for,
)

app = typer.Typer(no_args_is_help=True)

KeyOpt = Annotated[
    Path | None,
    typer.Option(
        "--key",
        envvar=KEY_ENV,
        help="Ledger signing key (PEM file from 'xinyong ledger keygen'), kept outside the store.",
        dir_okay=False,
    ),
]
_PROGRESS_FROM = 100_000  # show a progress bar from this many rows


@app.command("keygen")
def keygen_command(
    keyfile: Annotated[Path, typer.Argument(help="Where to write the new key (must not exist).")],
) -> None:
    """Make an Ed25519 key that signs the ledger's checkpoints; print its public key.

    Keep the file outside the store and give it to appends with env XINYONG_LEDGER_KEY.

    Example: xinyong ledger keygen ~/.xinyong/ledger.pem
    """
    try:
        key = new_key(keyfile)
    except (XinyongError, OSError) as e:
        fail(str(e))
    out.print(f"wrote {keyfile} (owner-only); public key: {public_hex(key)}", highlight=False)


@app.command("checkpoint")
def checkpoint_command(
    db: DbOpt = DEFAULT_DB,
    key: KeyOpt = None,
    export: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Also write the newest checkpoint to this JSON file: keep it outside the "
            "store and pass it to 'ledger verify --anchor' (catches deletion of the tail).",
            dir_okay=False,
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Sign a checkpoint at the ledger's tail now (appends also make one every N records).

    Example: xinyong ledger checkpoint --db credit.db --key ledger.pem --out anchor.json
    """
    if key is None:
        fail(f"no signing key: pass --key KEYFILE or set {KEY_ENV} (xinyong ledger keygen)")
    try:
        pem = load_key(key)
    except XinyongError as e:
        fail(str(e))
    with system_for(db) as system:
        anchor = system.settings.ledger_anchor
        signer = Signer(pem, anchor=str(anchor) if anchor is not None else None)
        try:
            made = system.ledger.checkpoint(signer)
            newest = made or system.ledger.latest_checkpoint()
        except XinyongError as e:
            fail(str(e), 1)
    if newest is None:
        fail("the ledger is empty: nothing to checkpoint", 1)
    if export is not None:
        export.write_text(json.dumps(newest.to_dict(), indent=2) + "\n", encoding="utf-8")
    if as_json:
        print_json({"made": made is not None, "checkpoint": newest.to_dict()})
        return
    what = "signed" if made is not None else "already signed (nothing new since)"
    out.print(
        f"checkpoint {what}: position {newest.position}, head {newest.head[:16]}..., "
        f"root {newest.root[:16]}..." + (f"; written to {export}" if export else ""),
        highlight=False,
    )


def _anchor(path: Path) -> list[Checkpoint]:
    """The checkpoints in an anchor: one JSON object (``ledger checkpoint --out``) or the
    signer's anchor file (one a line, ``XINYONG_LEDGER_ANCHOR``)."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as e:
        fail(f"--anchor {path}: cannot read: {e.strerror}")
    lines = [text] if text.startswith("{\n") or "\n" not in text else text.splitlines()
    out = []
    for n, line in enumerate(lines, 1):
        where = f"--anchor {path}" + (f" line {n}" if len(lines) > 1 else "")
        try:
            cp = Checkpoint.from_dict(json.loads(line))
        except (ValueError, TypeError, AttributeError) as e:
            fail(f"{where}: not a checkpoint ('ledger checkpoint --out' or the anchor file) ({e})")
        if not signature_ok(cp):
            fail(f"{where}: its signature is invalid; the file was altered")
        out.append(cp)
    return out


@contextmanager
def _progress(total: int, show: bool) -> Iterator[Any]:
    if not show or total < _PROGRESS_FROM:
        yield None
        return
    columns = (
        TextColumn("verifying"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"),
    )
    with Progress(*columns, TimeRemainingColumn(), console=err, transient=True) as bar:
        task = bar.add_task("verify", total=total)
        yield lambda n: bar.update(task, completed=n)


@app.command("verify")
def verify_command(
    db: DbOpt = DEFAULT_DB,
    key: KeyOpt = None,
    trust: Annotated[
        list[str] | None,
        typer.Option("--trust", help="A public key (hex) trusted to sign checkpoints; repeatable."),
    ] = None,
    anchor: Annotated[
        list[Path] | None,
        typer.Option(
            "--anchor",
            help="Checkpoints kept outside the store: a 'ledger checkpoint --out' file or the "
            "signer's anchor file (XINYONG_LEDGER_ANCHOR); repeatable.",
            dir_okay=False,
        ),
    ] = None,
    every: Annotated[
        int | None,
        typer.Option(
            "--every",
            min=1,
            envvar="XINYONG_LEDGER_EVERY",
            help="The signer's interval (records a checkpoint); with --key or --trust, a longer "
            "run without a signed checkpoint is tampering. Default: the setting, 10000.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Recompute the whole ledger: content hashes, chain, checkpoints and their signatures.

    Exit status 0 if intact; 1 naming the first bad position and what is wrong there
    (edited, reordered, inserted, deleted, chain, head, signature, checkpoint).
    With --key or --trust, checkpoints must be signed by those keys, and one must cover
    every run of --every records (deleted checkpoints show).

    Example: xinyong ledger verify --db credit.db --key ledger.pem --anchor anchor.json
    """
    keys = set(trust or ())
    try:
        if key is not None:
            keys.add(public_hex(load_key(key)))
        anchors = [cp for p in anchor or () for cp in _anchor(p)]
    except XinyongError as e:
        fail(str(e))
    with system_for(db, ledger_every=every) as system:
        try:
            with _progress(system.ledger.size(), not as_json) as progress:
                result = system.verify_ledger(
                    trusted=frozenset(keys) if keys else None,
                    anchors=anchors,
                    progress=progress,
                )
        except XinyongError as e:
            fail(str(e), 1)
    if as_json:
        print_json(_as_dict(result))
    else:
        _print(result, db)
    if not result.ok:
        raise typer.Exit(1)


def _as_dict(a: Audit) -> dict[str, Any]:
    return {
        "ok": a.ok,
        "records": a.records,
        "positions": a.entries,
        "head": a.head,
        "checkpoints": a.checkpoints,
        "anchors": a.anchors,
        "first_bad_position": a.first.position if a.first else None,
        "findings": [
            {"position": f.position, "kind": f.kind.value, "message": f.message} for f in a.findings
        ],
        "notes": a.notes,
    }


def _print(a: Audit, db: str) -> None:
    table = Table(title=f"ledger of {db}", show_header=False)
    table.add_row("records", f"{a.records:,}")
    table.add_row("ledger positions", f"{a.entries:,}")
    table.add_row(
        "checkpoints", f"{a.checkpoints:,}" + (f" (+{a.anchors} anchors)" if a.anchors else "")
    )
    table.add_row("chain head", a.head)
    out.print(table)
    for note in a.notes:
        out.print(f"note: {note}", highlight=False)
    if a.ok:
        out.print("[bold green]OK[/]: every record, link and checkpoint verifies", highlight=False)
        return
    first = a.findings[0]
    out.print(
        f"[bold red]TAMPERED[/]: first bad position {first.position} ({first.kind.value}): "
        f"{first.message}",
        highlight=False,
    )
    for f in a.findings[1:20]:
        out.print(f"  position {f.position} ({f.kind.value}): {f.message}", highlight=False)
    if len(a.findings) > 20:
        out.print(f"  ... and {len(a.findings) - 20} more", highlight=False)


@app.command("prove")
def prove_command(
    record_id: Annotated[str, typer.Argument(help="The id of the record to prove.")],
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Print (JSON) a Merkle inclusion proof of one record in the signed checkpoint covering it.

    Anyone holding the checkpoint can check the path without the rest of the store.

    Example: xinyong ledger prove rec-000042 --db credit.db
    """
    with system_for(db) as system:
        try:
            proof = system.ledger.prove(record_id)
        except XinyongError as e:
            fail(str(e), 1)
    print_json(proof)
    if not proof["verified"]:
        err.print("[bold red]the proof does not lead to the signed root[/]", highlight=False)
        raise typer.Exit(1)
