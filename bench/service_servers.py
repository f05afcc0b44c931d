"""The service benchmark's servers: uvicorn in a thread (for ingest) or in a child process
(for gate checks, so the client does not share the server's interpreter), and the baseline
server whose gate checks take the unplanned path."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import httpx

from bench.service_data import KEYS
from xinyong.drivers.http.app import create_app
from xinyong.system.principals import KeyRing

ROOT = Path(__file__).resolve().parent.parent
"""The repository root, put on the child's ``PYTHONPATH`` so that it can import ``bench``."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(store_url: str) -> Iterator[str]:
    """A uvicorn server over ``store_url`` on a free loopback port; yields its base URL."""
    import uvicorn

    app = create_app(store_url, keys=KeyRing.from_toml(KEYS, "bench keys"))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"uvicorn did not start on 127.0.0.1:{port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        # uvicorn exits once the work still running after the last answer (an ingest's
        # notices, in the background) is done: wait for it, so that the store is not
        # removed under it
        server.should_exit = True
        thread.join(timeout=900)
        if thread.is_alive():
            raise RuntimeError("uvicorn did not stop within 15 minutes")


class Served(NamedTuple):
    base: str
    pid: int


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) used so far by process ``pid`` (Linux ``/proc``; else
    ``None``): what a request costs the server, which the machine's load inflates far less
    than the wall-clock time."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def serve_child(
    store_url: str, baseline: bool = False, ingest: str | None = None
) -> Iterator[Served]:
    """The same server in a child process (so the client does not share its interpreter);
    with ``baseline``, gate checks take the unplanned path (:func:`unplanned_decide`); with
    ``ingest`` (``"columnar"`` or ``"row"``), ``POST /v1/records`` sends no notices and
    takes that admission path."""
    port = _free_port()
    cmd = [sys.executable, "-m", "bench.service", "--serve", store_url]
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    proc = subprocess.Popen(
        [
            *cmd,
            "--port",
            str(port),
            *(["--baseline"] if baseline else []),
            *(["--ingest-path", ingest] if ingest else []),
        ],
        env={**os.environ, "PYTHONPATH": path},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/v1/gates", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"uvicorn did not start on 127.0.0.1:{port}")
            time.sleep(0.05)
        yield Served(base, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def unplanned_decide(
    svc: Any, gate: str, subjects: list[str], at: str | None
) -> list[dict[str, Any]]:
    """The baseline's decisions: each subject's whole file read and evaluated under every
    scheme, then ``check_gate`` (``Engine.check``), one subject at a time."""
    from xinyong.drivers.http.context import instant

    when = instant(at, "at")
    return [svc.engine.check(gate, s, when).to_dict() for s in subjects]


def serve_main(
    store_url: str, port: int, baseline: bool = False, ingest: str | None = None
) -> None:
    """The child process of :func:`serve_child` (``python -m bench.service --serve STORE``)."""
    import uvicorn

    if baseline:
        from xinyong.drivers.http import gates

        gates.decide = unplanned_decide
    if ingest:
        from xinyong.system.admission import Admission, AfterCommit
        from xinyong.system.credit_system import CreditSystem

        # notices off, as for files: the server would otherwise catch the live state up and
        # send the notices of every body after its answer
        CreditSystem.after_ingest = lambda self, **k: AfterCommit([], None)  # type: ignore[method-assign]
        if ingest == "row":
            Admission.admit_columns = lambda self, *a, **k: None  # type: ignore[method-assign]
    app = create_app(store_url, keys=KeyRing.from_toml(KEYS, "bench keys"))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error", access_log=False)
