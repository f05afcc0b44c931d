"""Loading what the audit needs: profiles (data/audit_profiles/*.toml or a file), the targets
(preset or user scheme and memorandum files), and the catalogue facts. Missing audit data (a
category without a domain, a gate without one, a measure without a severity) is an error
naming the file and the key."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from xinyong.core.audit import (
    CHECKS,
    AuditContext,
    AuditError,
    CategoryFacts,
    Finding,
    MemoDoc,
    SchemeDoc,
    audit,
    summary,
)
from xinyong.core.audit.profile import Profile, parse_profile
from xinyong.core.errors import SchemeError
from xinyong.core.minimisation import scheme_categories
from xinyong.core.sanctions import parse_memorandum
from xinyong.core.schemes.model import parse_scheme
from xinyong.system.catalogue import Catalogue, catalogue
from xinyong.system.schemes_io import (
    all_memoranda,
    all_presets,
    memorandum_names,
    preset_names,
)

CATALOGUE_FILE = "data/catalogue.toml"


def profile_names() -> list[str]:
    d = resources.files("xinyong.data").joinpath("audit_profiles")
    return sorted(p.name[:-5] for p in d.iterdir() if p.name.endswith(".toml"))


def load_profile(name_or_path: str) -> Profile:
    """A shipped profile by name, or a profile file (ending in .toml)."""
    if name_or_path.endswith(".toml"):
        origin, text = name_or_path, _text(Path(name_or_path), name_or_path)
    else:
        if name_or_path not in profile_names():
            raise AuditError(
                f"no audit profile {name_or_path!r}; profiles: {', '.join(profile_names())} "
                "(or give a profile file ending in .toml)"
            )
        origin = f"audit_profiles/{name_or_path}.toml"
        f = resources.files("xinyong.data").joinpath(origin)
        text = f.read_text(encoding="utf-8")
    profile = parse_profile(_toml(text, origin), origin)
    for i, r in enumerate(profile.rules):
        if r.check not in CHECKS:
            raise AuditError(
                f"{origin}: key 'rules[{i}].check': {r.check!r} is not a check; "
                f"checks: {', '.join(sorted(CHECKS))}"
            )
    return profile


def _text(path: Path, origin: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as e:
        raise SchemeError(f"{origin}: cannot read the file ({e.strerror})") from None


def _toml(text: str, origin: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SchemeError(f"{origin}: not valid TOML: {e}") from None


def load_targets(targets: Sequence[str], everything: bool) -> tuple[list[SchemeDoc], list[MemoDoc]]:
    """Preset names, memorandum names or .toml files (schemes or memoranda, by their kind)."""
    schemes: list[SchemeDoc] = []
    memos: list[MemoDoc] = []
    if everything:
        schemes += [SchemeDoc(s, f"presets/{n}.toml") for n, s in all_presets().items()]
        memos += [MemoDoc(m, f"memoranda/{m.name}.toml") for m in all_memoranda()]
    for t in targets:
        if t.endswith(".toml"):
            data = _toml(_text(Path(t), t), t)
            if data.get("kind") == "memorandum":
                memos.append(MemoDoc(parse_memorandum(data, t), t))
            else:
                schemes.append(SchemeDoc(parse_scheme(data, t), t))
        elif t in preset_names():
            schemes.append(SchemeDoc(all_presets()[t], f"presets/{t}.toml"))
        elif t in memorandum_names():
            memos += [MemoDoc(m, f"memoranda/{t}.toml") for m in all_memoranda() if m.name == t]
        else:
            raise AuditError(
                f"{t!r} is neither a preset scheme ({', '.join(preset_names())}), nor a "
                f"memorandum ({', '.join(memorandum_names())}), nor a .toml file"
            )
    return schemes, memos


def build_context(
    schemes: Sequence[SchemeDoc], memos: Sequence[MemoDoc], cat: Catalogue | None = None
) -> AuditContext:
    """The targets, with the presets they refer to; fails on missing audit data."""
    cat = cat or catalogue()
    known = {n: SchemeDoc(s, f"presets/{n}.toml") for n, s in all_presets().items()}
    known.update({d.name: d for d in schemes})
    preset_memos = [
        MemoDoc(m, f"memoranda/{m.name}.toml")
        for m in all_memoranda()
        if m.name not in {d.name for d in memos}
    ]
    all_memos = [*memos, *preset_memos]
    ctx = AuditContext(
        schemes=known,
        memoranda=all_memos,
        categories=_facts(cat),
        related={d: frozenset(x.related) for d, x in cat.domains.items()},
        target_schemes=frozenset(d.name for d in schemes),
        target_memoranda=frozenset(d.name for d in memos),
        regimes=tuple(cat.publication),
    )
    problems = _missing(ctx, cat)
    if problems:
        raise AuditError("the audit needs data that is missing:\n" + "\n".join(problems))
    return ctx


def _facts(cat: Catalogue) -> dict[str, CategoryFacts]:
    return {
        n: CategoryFacts(c.domain or "", c.severity, tuple(c.sensitive), c.publication_class)
        for n, c in cat.categories.items()
    }


def _missing(ctx: AuditContext, cat: Catalogue) -> list[str]:
    out: list[str] = []
    domains = sorted(cat.domains)
    for d, x in cat.domains.items():
        for r in x.related:
            if r not in cat.domains:
                out.append(f"  {CATALOGUE_FILE}: key 'domains.{d}.related': {r!r} is not a domain")
    for s in ctx.scoped_schemes():
        for c in sorted(scheme_categories(s.scheme)):
            out += _category_problems(c, s.file, cat, domains)
    for doc, i, m in ctx.scoped_measures():
        if m.severity is None:
            out.append(
                f"  {doc.file}: key 'measures[{i}].severity': missing; the audit needs how "
                "severe the measure is (minor, moderate or severe)"
            )
        for g in m.gates:
            gd = doc.memo.gate_domains.get(g)
            if gd is None or gd not in cat.domains:
                got = "missing" if gd is None else f"{gd!r} is not a domain"
                out.append(
                    f"  {doc.file}: key 'gate_domains.\"{g}\"': {got}; the audit needs the "
                    f"gate's domain, one of: {', '.join(domains)}"
                )
        for name in [*m.lists, *([m.score.scheme] if m.score else [])]:
            scheme = name.split("/")[0]
            if scheme not in ctx.schemes:
                out.append(f"  {doc.file}: key 'measures[{i}]': scheme {scheme!r} is not known")
            elif (s := ctx.schemes[scheme]).name not in ctx.target_schemes:
                for c in sorted(scheme_categories(s.scheme)):
                    out += _category_problems(c, s.file, cat, domains)
    return sorted(set(out))


def _category_problems(c: str, file: str, cat: Catalogue, domains: list[str]) -> list[str]:
    entry = cat.categories.get(c)
    if entry is None:
        return [
            f"  {file}: category {c!r} is not in the catalogue ({CATALOGUE_FILE}), so it has "
            "no domain and no gravity (severity); add it to the catalogue"
        ]
    if entry.domain is None or entry.domain not in cat.domains:
        got = "missing" if entry.domain is None else f"{entry.domain!r} is not a domain"
        return [
            f"  {CATALOGUE_FILE}: key 'categories.\"{c}\".domain': {got}; one of: "
            f"{', '.join(domains)}"
        ]
    return []


def run_audit(
    targets: Sequence[str], everything: bool = False, profiles: Sequence[str] = ()
) -> tuple[list[Finding], list[Profile]]:
    """The one use case: load the profiles (default: all) and the targets, audit them."""
    chosen = [load_profile(p) for p in (profiles or profile_names())]
    schemes, memos = load_targets(targets, everything)
    return audit(build_context(schemes, memos), chosen), chosen


def audit_summary(target: str) -> dict[str, Any]:
    """The audit of one scheme or memorandum under every profile, summarised (counts and
    finding ids); when the audit cannot run, the reason instead."""
    try:
        return summary(run_audit([target])[0])
    except AuditError as e:
        return {"error": str(e)}
