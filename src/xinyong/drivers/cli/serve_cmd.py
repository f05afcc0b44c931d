"""``xinyong serve``: the HTTP service (JSON API under /v1, the public portal at /)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xinyong.core.errors import XinyongError
from xinyong.drivers.cli.options import DEFAULT_DB, DbOpt, err, fail, settings


def serve_command(
    db: DbOpt = DEFAULT_DB,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port.")] = 8000,
    keys: Annotated[
        Path | None,
        typer.Option(
            "--keys",
            help="TOML file of API keys ([[key]] key, role, name, categories, subject); "
            "default: env XINYONG_KEYS_FILE or XINYONG_API_KEYS, else public access only.",
        ),
    ] = None,
) -> None:
    """Serve the credit files, gates, lists, objections and the public portal over HTTP.

    Example: xinyong serve --db demo/xinyong.db --keys keys.toml
    """
    import uvicorn

    from xinyong.composition import holding_store
    from xinyong.drivers.http import create_app

    if "://" not in db and not Path(db).exists():
        fail(f"no store at {db!r}; ingest records first (xinyong ingest FILE --db {db})")
    s = settings(db, keys_file=keys)
    try:
        app = create_app(db, keys_file=keys, warm=True)
    except XinyongError as e:
        fail(str(e))
    err.print(f"serving {db} on http://{host}:{port}/ (API docs at /docs)", highlight=False)
    if s.keys_file is None and not s.api_keys:
        err.print(
            "no API keys (--keys FILE, XINYONG_KEYS_FILE or XINYONG_API_KEYS): serving the "
            "public role only (the portal, published lists, objections); see docs/api.md",
            highlight=False,
        )
    with holding_store(db, f"a server at http://{host}:{port}/"):  # demo refuses to replace it
        uvicorn.run(app, host=host, port=port, log_level="info")
