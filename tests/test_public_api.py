"""The public Python API: its surface, its docstring examples, the version, the settings
documentation and the rule that every exception the package raises is a XinyongError."""

from __future__ import annotations

import dataclasses
import doctest
import importlib
import inspect
import pkgutil
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner

import xinyong
from xinyong.core.errors import XinyongError
from xinyong.drivers.cli.app import app
from xinyong.system.settings import VARIABLES, Settings, SettingsError

ROOT = Path(__file__).resolve().parent.parent

SURFACE = {
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
    "run_audit",
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
    "score_population",
    "score_subject",
    "store_holder",
}


def test_the_surface_is_what_we_promise() -> None:
    assert set(xinyong.__all__) == SURFACE
    for name in xinyong.__all__:
        value = getattr(xinyong, name)
        if name not in ("__version__", "FRAME_SCHEMA", "REQUIRED_COLUMNS"):
            assert inspect.getdoc(value), f"xinyong.{name} has no docstring"


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = xinyong.nope  # type: ignore[attr-defined]


def test_import_is_cheap() -> None:
    """``import xinyong`` must not pull in the store or the columnar libraries."""
    code = (
        "import sys, xinyong; "
        "print(sorted(m for m in ('sqlalchemy', 'polars') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "module",
    [
        "xinyong",
        "xinyong.composition",
        "xinyong.system.settings",
        "xinyong.system.credit_system",
    ],
)
def test_docstring_examples_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{module} has no examples"
    assert result.failed == 0


def test_version_comes_from_the_package_metadata() -> None:
    assert xinyong.__version__ == version("xinyong")
    r = CliRunner().invoke(app, ["--version"])
    assert r.exit_code == 0
    assert r.stdout.strip() == f"xinyong {xinyong.__version__}"


def _exception_classes() -> list[type[BaseException]]:
    found: list[type[BaseException]] = []
    for info in pkgutil.walk_packages(xinyong.__path__, "xinyong."):
        if "spark" in info.name or info.name.endswith("bench"):
            continue  # optional dependency; benchmarks are not the package's API
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(obj, BaseException)
                and obj.__module__ == info.name
                and obj.__module__.startswith("xinyong")
            ):
                found.append(obj)
    return found


def test_every_exception_of_the_package_is_a_xinyong_error() -> None:
    classes = _exception_classes()
    assert len(classes) > 10
    strays = [f"{c.__module__}.{c.__name__}" for c in classes if not issubclass(c, XinyongError)]
    assert strays == []


# -- settings


def test_every_setting_is_documented() -> None:
    doc = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \| (`\w+`|none) \|", doc, flags=re.M))
    fields = {f.name for f in dataclasses.fields(Settings)}
    assert set(rows) == fields, "docs/settings.md must have one row per Settings field"
    for v in VARIABLES:
        assert rows[v.field] == f"`{v.name}`", f"{v.field} must name {v.name}"


def test_settings_from_the_environment() -> None:
    env = {
        "XINYONG_DB": "postgresql://x@localhost/db",
        "XINYONG_LEDGER_EVERY": "7",
        "XINYONG_SCHEMES": " rongcheng ,, sesame ",
        "XINYONG_ADMIT": "catalogue",
    }
    s = Settings.from_env(env)
    assert (s.db, s.ledger_every, s.schemes, s.admit) == (
        "postgresql://x@localhost/db",
        7,
        ("rongcheng", "sesame"),
        "catalogue",
    )
    assert Settings.from_env(env, db="other.db").db == "other.db"
    assert Settings.from_env({}) == Settings()


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"XINYONG_LEDGER_EVERY": "ten"}, "XINYONG_LEDGER_EVERY must be a whole number"),
        ({"XINYONG_LEDGER_EVERY": "0"}, "XINYONG_LEDGER_EVERY"),
        ({"XINYONG_ADMIT": "all"}, "XINYONG_ADMIT"),
    ],
)
def test_bad_settings_name_their_variable(env: dict[str, str], words: str) -> None:
    with pytest.raises(SettingsError, match=words):
        Settings.from_env(env)


def test_schemes_in_force_narrow_what_is_admitted(tmp_path: Path) -> None:
    """XINYONG_SCHEMES is honoured by the composition root: minimisation follows it."""
    from factories import make_record

    with xinyong.open_system(Settings(db=str(tmp_path / "a.db"), schemes=("spc-defaulters",))) as s:
        assert set(s.engine.schemes) == {"spc-defaulters"}
        with pytest.raises(xinyong.IngestFailed, match="no configured scheme uses it"):
            s.ingest([make_record(category="traffic.violation")])
