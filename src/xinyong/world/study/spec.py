"""A study file: a base scenario, named variants (overrides by key path) and seeds.

.. code-block:: toml

    [study]
    name = "data-quality"         # names the results (defaults to the file name)
    title = "Data quality"
    question = "What do data errors do to people?"
    scenario = "default"          # the shipped default, or a path relative to this file
    seeds = 5                     # seeds 1..5 (or first_seed..)
    residents = 20000             # optional: world.residents for every run
    months = 12                   # optional: world.months for every run
    baseline = "errors.scale=1"   # optional: the variant differences are taken from

    [[variants]]
    name = "errors"               # optional when the variant expands
    set = { "errors.scale" = [0, 1, 2, 4] }

A list value expands into one variant per value (several lists: every combination),
named ``key=value``; a key whose scenario value is itself a list expands only on a list
of lists. Every variant is validated as a whole scenario before anything runs.
"""

from __future__ import annotations

import itertools
import json
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from xinyong.core.schemes.model import format_validation_error
from xinyong.world.scenario import Scenario, ScenarioError, load_scenario, parse_scenario
from xinyong.world.study.overrides import StudyError, apply, current


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StudyHead(_Strict):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")] | None = None
    title: str = ""
    question: str = ""
    scenario: str = "default"
    seeds: Annotated[int, Field(ge=1, le=1000)] = 5
    first_seed: int = 1
    residents: Annotated[int, Field(ge=1)] | None = None
    months: Annotated[int, Field(ge=1, le=600)] | None = None
    baseline: str | None = None
    peer_ratings: bool = False


class VariantSpec(_Strict):
    name: str = ""
    set: dict[str, Any] = Field(default_factory=dict)


class StudyFile(_Strict):
    study: StudyHead
    variants: Annotated[list[VariantSpec], Field(min_length=1)]


@dataclass(frozen=True)
class Variant:
    name: str
    changes: dict[str, Any]
    scenario: dict[str, Any]  # the whole scenario, JSON-ready


@dataclass(frozen=True)
class Study:
    name: str
    title: str
    question: str
    origin: str
    seeds: tuple[int, ...]
    variants: tuple[Variant, ...]
    baseline: str
    peer_ratings: bool

    def variant(self, name: str) -> Variant:
        return next(v for v in self.variants if v.name == name)


def _fmt(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value


def expand(
    spec: VariantSpec, base: dict[str, Any], origin: str
) -> list[tuple[str, dict[str, Any]]]:
    """(name, changes) for each variant ``spec`` stands for."""
    axes: list[list[tuple[str, Any]]] = []
    for path, value in spec.set.items():
        old = current(base, path, origin)
        nested = isinstance(old, list)
        many = isinstance(value, list) and (not nested or all(isinstance(v, list) for v in value))
        if many and not value:
            raise StudyError(f"{origin}: variant {spec.name!r}: key '{path}' has an empty list")
        axes.append([(path, v) for v in value] if many else [(path, value)])
    out = []
    expanding = [i for i, a in enumerate(axes) if len(a) > 1]
    for combo in itertools.product(*axes) if axes else [()]:
        changes = dict(combo)
        tag = ", ".join(f"{combo[i][0]}={_fmt(combo[i][1])}" for i in expanding)
        name = spec.name if not tag else (f"{spec.name}: {tag}" if spec.name else tag)
        if not name:
            raise StudyError(f"{origin}: a variant without a list value needs a name")
        out.append((name, changes))
    return out


def _base(head: StudyHead, path: Path) -> Scenario:
    if head.scenario == "default":
        return load_scenario()
    p = Path(head.scenario)
    p = p if p.is_absolute() else path.parent / p
    if not p.is_file():
        raise StudyError(f"{path}: study.scenario: no such scenario file {str(p)!r}")
    try:
        return load_scenario(p)
    except ScenarioError as e:
        raise StudyError(f"{path}: study.scenario: {e}") from None


def parse_study(data: dict[str, Any], path: Path) -> Study:
    origin = str(path)
    try:
        f = StudyFile.model_validate(data)
    except ValidationError as e:
        text = format_validation_error(e, origin)
        raise StudyError(text.replace("see docs/schemes.md", "see docs/studies.md")) from None
    head = f.study
    base = _base(head, path).model_dump(mode="json")
    for key, value in (("residents", head.residents), ("months", head.months)):
        if value is not None:
            base["world"][key] = value
    variants: list[Variant] = []
    for i, spec in enumerate(f.variants):
        where = f"{origin}: variants[{i}]"
        for name, changes in expand(spec, base, where):
            if any(v.name == name for v in variants):
                raise StudyError(f"{where}: variant name {name!r} is used twice")
            data_v = apply(base, changes, where)
            try:
                parse_scenario(data_v, f"{where} ({name})")
            except ScenarioError as e:
                raise StudyError(str(e)) from None
            variants.append(Variant(name, changes, data_v))
    baseline = head.baseline or variants[0].name
    if baseline not in {v.name for v in variants}:
        names = ", ".join(repr(v.name) for v in variants)
        raise StudyError(
            f"{origin}: study.baseline {baseline!r} is not a variant; use one of {names}"
        )
    return Study(
        name=head.name or path.stem,
        title=head.title or path.stem,
        question=head.question,
        origin=origin,
        seeds=tuple(range(head.first_seed, head.first_seed + head.seeds)),
        variants=tuple(variants),
        baseline=baseline,
        peer_ratings=head.peer_ratings,
    )


def load_study(path: Path | str, **head: int | None) -> Study:
    """The study in ``path``; a bare name (``data-quality``) is a shipped study. ``head``
    overrides keys of ``[study]`` (``seeds``, ``residents``, ``months``) when not None."""
    p = Path(path)
    if not p.is_file():
        shipped = shipped_study(str(path))
        if shipped is None:
            raise StudyError(
                f"{p}: no such study file (shipped studies: {', '.join(shipped_names())})"
            )
        p = shipped
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise StudyError(f"{p}: not valid TOML: {e}") from None
    if isinstance(data.get("study"), dict):
        data["study"].update({k: v for k, v in head.items() if v is not None})
    return parse_study(data, p)


def _folder() -> Path:
    return Path(str(resources.files("xinyong.data").joinpath("studies")))


def shipped_names() -> list[str]:
    return sorted(p.stem for p in _folder().glob("*.toml"))


def shipped_study(name: str) -> Path | None:
    p = _folder() / f"{name.removesuffix('.toml')}.toml"
    return p if p.is_file() else None
