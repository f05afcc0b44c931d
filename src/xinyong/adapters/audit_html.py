"""``xinyong audit --html``: one self-contained page (inline style, no scripts, no fetches)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from xinyong.core.audit import Finding, Profile, summary

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.3rem .5rem;
vertical-align:top;text-align:left}.high{background:#fde2e1}.medium{background:#fff3cd}
.low{background:#e7f1fb}code{font-size:.9em}blockquote{margin:.3rem 0;color:#555}
"""


def render_html(
    findings: Sequence[Finding], profiles: Sequence[Profile], targets: Sequence[str]
) -> str:
    s = summary(list(findings))
    counts = ", ".join(f"{n} {k}" for k, n in s["by_severity"].items())
    rows = "\n".join(_row(f) for f in findings) or "<tr><td colspan=4>No findings.</td></tr>"
    sources = "\n".join(
        f"<li><b>{escape(p.name)}</b>: {escape(p.profile.title)}<ul>"
        + "".join(
            f"<li>[{escape(src.confidence)}] {escape(src.title)} "
            f"<code>{escape(src.url)}</code></li>"
            for src in p.sources
        )
        + "</ul></li>"
        for p in profiles
    )
    return (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        f"<title>xinyong audit: {escape(', '.join(targets))}</title>"
        f"<style>{_STYLE}</style></head><body>\n"
        f"<h1>xinyong audit: {escape(', '.join(targets))}</h1>\n"
        f"<p>{s['findings']} finding(s): {escape(counts)}. Profiles: "
        f"{escape(', '.join(p.name for p in profiles))}.</p>\n"
        "<table><tr><th>severity</th><th>rule</th><th>where</th><th>finding</th></tr>\n"
        f"{rows}\n</table>\n<h2>Profiles and sources</h2>\n<ul>{sources}</ul>\n"
        "<p>Confidence marks: V read in the official text, S read in a reproduction or "
        "secondary source, U not verified.</p>\n</body></html>\n"
    )


def _row(f: Finding) -> str:
    path = "".join(f"<br>→ {escape(p)}" for p in f.hit.path)
    quote = f"<blockquote>{escape(f.quote)}</blockquote>" if f.quote else ""
    return (
        f"<tr class={f.severity}><td>{f.severity}</td><td><code>{escape(f.profile)}."
        f"{escape(f.rule)}</code></td><td><code>{escape(f.hit.file)}</code><br>"
        f"<code>{escape(f.hit.key)}</code></td><td>{escape(f.hit.found)}{path}"
        f"<p><b>Why:</b> {escape(f.why)}</p><p><b>Rests on:</b> {escape(f.article)} "
        f"[{escape(f.confidence)}] {escape(f.source)} <code>{escape(f.source_url)}</code></p>"
        f"{quote}"
        f"<p><b>Fix:</b> {escape(f.fix)}</p></td></tr>"
    )
