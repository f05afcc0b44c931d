"""Loading schemes and memoranda from TOML files: the presets shipped in the package, or any
file a user writes. Errors name the file and the key."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from xinyong.core.errors import SchemeError, did_you_mean
from xinyong.core.sanctions import Memorandum, parse_memorandum
from xinyong.core.schemes.model import parse_scheme
from xinyong.core.scoring.engine import AnyScheme

PRESETS = "xinyong.data"


def _read(path: Path | Any, origin: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SchemeError(f"{origin}: no such file") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SchemeError(f"{origin}: not valid TOML: {e}") from None


def _preset_dir(kind: str) -> Any:
    return resources.files(PRESETS).joinpath(kind)


def preset_names() -> list[str]:
    """The names of the schemes shipped with the package."""
    return sorted(p.name[:-5] for p in _preset_dir("schemes").iterdir() if p.name.endswith(".toml"))


def memorandum_names() -> list[str]:
    return sorted(
        p.name[:-5] for p in _preset_dir("memoranda").iterdir() if p.name.endswith(".toml")
    )


def load_scheme_file(path: Path) -> AnyScheme:
    return parse_scheme(_read(path, str(path)), str(path))


@cache
def preset(name: str) -> AnyScheme:
    """A shipped scheme by name (see :func:`preset_names`); errors list the names."""
    names = preset_names()
    if name not in names:
        raise SchemeError(
            f"no preset scheme {name!r}{did_you_mean(name, names)}; presets: {', '.join(names)}"
        )
    f = _preset_dir("schemes").joinpath(f"{name}.toml")
    scheme = parse_scheme(_read(f, f"presets/{name}.toml"), f"presets/{name}.toml")
    if scheme.name != name:
        raise SchemeError(f"presets/{name}.toml: meta.name is {scheme.name!r}, expected {name!r}")
    return scheme


def load_scheme(name_or_path: str) -> AnyScheme:
    """A preset by name, or a scheme file by path (anything ending in .toml)."""
    if name_or_path.endswith(".toml"):
        return load_scheme_file(Path(name_or_path))
    return preset(name_or_path)


@cache
def memorandum(name: str) -> Memorandum:
    names = memorandum_names()
    if name not in names:
        raise SchemeError(f"no memorandum {name!r}; available: {', '.join(names)}")
    f = _preset_dir("memoranda").joinpath(f"{name}.toml")
    return parse_memorandum(_read(f, f"memoranda/{name}.toml"), f"memoranda/{name}.toml")


def load_memorandum(name_or_path: str) -> Memorandum:
    """A shipped memorandum by name, or a memorandum file by path (anything ending in
    .toml)."""
    if name_or_path.endswith(".toml"):
        p = Path(name_or_path)
        return parse_memorandum(_read(p, str(p)), str(p))
    return memorandum(name_or_path)


def all_presets() -> dict[str, AnyScheme]:
    return {n: preset(n) for n in preset_names()}


def all_memoranda() -> list[Memorandum]:
    return [memorandum(n) for n in memorandum_names()]
