"""xinyong (信用): an open, explainable, contestable implementation of social credit systems.

The public Python API. Open a system over a store, ingest records, ask it questions:

>>> import xinyong
>>> xinyong.check_code("11010519491231002X").valid
True
>>> with xinyong.open_system(xinyong.Settings(db=":memory:")) as system:
...     done = system.ingest([xinyong.Record.from_dict({
...         "id": "ct-1", "subject": "11010519491231002X", "category": "court.listing_decision",
...         "occurred_at": "2025-03-01", "recorded_at": "2025-03-02",
...         "source": "a county court", "legal_basis": "SPC Provisions art. 1",
...         "details": {"ground": 1}})])
...     system.check("air.ticket", "11010519491231002X", at="2025-06-01").decision
'deny'

Pure functions need no store:

>>> scheme = xinyong.preset("rongcheng")
>>> xinyong.score_subject(scheme, "11010519491231002X", [], at=xinyong.instant("2025-01-01")).score
1000

Names are imported on first use, so ``import xinyong`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return str(version("xinyong"))
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


#: Public name -> (module, attribute).
_EXPORTS: dict[str, tuple[str, str]] = {
    "open_system": ("xinyong.composition", "open_system"),
    "store_holder": ("xinyong.composition", "store_holder"),
    "CreditSystem": ("xinyong.system.credit_system", "CreditSystem"),
    "IngestResult": ("xinyong.system.credit_system", "IngestResult"),
    "Settings": ("xinyong.system.settings", "Settings"),
    "Record": ("xinyong.core.records", "Record"),
    "load_scheme": ("xinyong.system.schemes_io", "load_scheme"),
    "load_memorandum": ("xinyong.system.schemes_io", "load_memorandum"),
    "preset": ("xinyong.system.schemes_io", "preset"),
    "preset_names": ("xinyong.system.schemes_io", "preset_names"),
    "score_subject": ("xinyong.core.scoring.engine", "score_subject"),
    "check_gate": ("xinyong.core.evaluate", "check_gate"),
    "score_population": ("xinyong.adapters.batch", "score_population"),
    "records_frame": ("xinyong.adapters.batch", "records_frame"),
    "audit_summary": ("xinyong.adapters.audit_io", "audit_summary"),
    "run_audit": ("xinyong.adapters.audit_io", "run_audit"),
    "FRAME_SCHEMA": ("xinyong.adapters.batch.frame", "FRAME_SCHEMA"),
    "REQUIRED_COLUMNS": ("xinyong.adapters.batch.frame", "REQUIRED_COLUMNS"),
    "evaluate_subject": ("xinyong.core.evaluate", "evaluate_subject"),
    "check_code": ("xinyong.core.codes", "check"),
    "check_resident": ("xinyong.core.codes", "check_resident"),
    "check_organisation": ("xinyong.core.codes", "check_organisation"),
    "instant": ("xinyong.core.timeutil", "parse_instant"),
    "Principal": ("xinyong.system.principals", "Principal"),
    "Role": ("xinyong.system.principals", "Role"),
    "IngestFailed": ("xinyong.system.reading", "IngestFailed"),
    "RowError": ("xinyong.system.reading", "RowError"),
    "XinyongError": ("xinyong.core.errors", "XinyongError"),
}

__all__ = [
    "FRAME_SCHEMA",
    "REQUIRED_COLUMNS",
    "CreditSystem",
    "IngestFailed",
    "IngestResult",
    "Principal",
    "Record",
    "Role",
    "RowError",
    "Settings",
    "XinyongError",
    "__version__",
    "audit_summary",
    "check_code",
    "check_gate",
    "check_organisation",
    "check_resident",
    "evaluate_subject",
    "instant",
    "load_memorandum",
    "load_scheme",
    "open_system",
    "preset",
    "preset_names",
    "records_frame",
    "run_audit",
    "score_population",
    "score_subject",
    "store_holder",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":  # read from the installed metadata on first use (costs ~0.1 s)
        globals()[name] = got = _version()
        return got
    try:
        module, attr = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'xinyong' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


if TYPE_CHECKING:
    __version__: str
    from xinyong.adapters.audit_io import audit_summary, run_audit
    from xinyong.adapters.batch import records_frame, score_population
    from xinyong.adapters.batch.frame import FRAME_SCHEMA, REQUIRED_COLUMNS
    from xinyong.composition import open_system, store_holder
    from xinyong.core.codes import check as check_code
    from xinyong.core.codes import check_organisation, check_resident
    from xinyong.core.errors import XinyongError
    from xinyong.core.evaluate import check_gate, evaluate_subject
    from xinyong.core.records import Record
    from xinyong.core.scoring.engine import score_subject
    from xinyong.core.timeutil import parse_instant as instant
    from xinyong.system.credit_system import CreditSystem, IngestResult
    from xinyong.system.principals import Principal, Role
    from xinyong.system.reading import IngestFailed, RowError
    from xinyong.system.schemes_io import load_memorandum, load_scheme, preset, preset_names
    from xinyong.system.settings import Settings
