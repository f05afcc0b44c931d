"""The portal's pages (Jinja2, autoescaped; no scripts, no images, no build step)."""
# ruff: noqa: E501

from __future__ import annotations

from typing import Any

from jinja2 import DictLoader, Environment, select_autoescape

_BASE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}xinyong public portal{% endblock %}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:52rem;margin:1rem auto;padding:0 1rem;line-height:1.45}
table{border-collapse:collapse;width:100%}.scroll{overflow-x:auto}td,th{border:1px solid #ccc;padding:.3rem;text-align:left;vertical-align:top}
.black{border-left:.4rem solid #222;padding-left:.6rem}.red{border-left:.4rem solid #b00;padding-left:.6rem}
.note{color:#555;font-size:.9rem}label{display:block;margin-top:.5rem}textarea,input[type=text]{width:100%}
</style></head><body>
<header><a href="/{{ day.query() if day else '' }}">xinyong public portal</a> · synthetic data only</header>
{% if day %}<p class="note" id="as-of-note">{{ day.note }}</p>{% endif %}
<main>{% block main %}{% endblock %}</main>
<footer class="note"><p>Names and photos are not held. Identity numbers are masked.
Every listing comes with its record, rule, legal basis, term and how to object.</p></footer>
</body></html>"""

_HOME = """{% extends "base" %}{% block main %}
<h1>Search</h1>
<form action="/search" method="get" role="search">
<label for="q">Credit code (18 characters) or the name of a list</label>
<input type="text" id="q" name="q" value="{{ q or '' }}" required maxlength="100">
{% if day.asked %}<input type="hidden" name="at" value="{{ day.date }}">{% endif %}
<button type="submit">Search</button></form>
{% if message %}<p id="message">{{ message }}</p>{% endif %}
<h2>Published lists</h2>
<p id="as-of">Lists as in force at the start of {{ day.date }} (China time), with how many entries each has then.</p>
<ul id="lists">
{% for l in lists %}<li><a href="/lists/{{ l.scheme }}/{{ l.list }}{{ day.query() }}">{{ l.title }}</a>:
<span class="size">{% if l.size is none %}being counted (reload in a few seconds){% else %}{{ "{:,}".format(l.size) }} {{ "entry" if l.size == 1 else "entries" }}{% endif %}</span>
({{ l.polarity }} list, {{ l.scheme }}; <a href="/schemes/{{ l.scheme }}/audit">audit of the scheme</a>)</li>{% else %}<li>none</li>{% endfor %}</ul>
<h2>More</h2><ul id="more">
{% if report %}<li><a href="/report">The report on the synthetic city</a> this store was made from (what the schemes did to its people, month by month)</li>{% endif %}
<li>For programs: the <a href="/docs">API documentation</a> (also <a href="/redoc">as one page</a>; OpenAPI at <a href="/openapi.json">/openapi.json</a>)</li>
<li><a href="/org">Company credit information</a> by unified social credit code</li>
</ul>
{% endblock %}"""

_ENTRY_BODY = """<p>{{ e.polarity|capitalize }} list · since {{ e.since[:10] }}{% if e.until %} · until {{ e.until[:10] }}{% elif e.term %} · {{ e.term }}{% else %} · while its condition holds{% endif %}{% if e.reached %} · grade reached on {{ e.reached[:10] }}{% endif %}</p>
<table>{% for k, v in e.fields.items() %}<tr><th scope="row">{{ k|label }}</th><td>{{ "not held" if v is none else v }}</td></tr>{% endfor %}</table>
{% if e.explanation %}<h3>Why</h3><p class="explanation">{{ e.explanation }}</p>{% endif %}"""

_SUBJECT = """{% extends "base" %}{% block main %}
<h1>Public status of <span id="subject">{{ masked }}</span></h1>
<p class="note">As of the start of {{ day.date }} (China time). Only lists that publish their entries are shown.</p>
{% for e in entries %}
<section class="{{ e.polarity }} entry">
<h2>{{ e.title }}</h2>
{% include "entry_body" %}
{% if e.polarity == "black" %}
<details open><summary>Object to this entry</summary>
<form action="/objections" method="post" class="objection">
<input type="hidden" name="subject" value="{{ code }}">
<label>What you object to
<select name="target">
<option value="list:{{ e.scheme }}/{{ e.list }}">the listing on {{ e.title }}</option>
{% if e.record_id %}<option value="record:{{ e.record_id }}">the record {{ e.record_id }}</option>{% endif %}
</select></label>
<label for="reason-{{ loop.index }}">What is wrong, and why</label>
<textarea id="reason-{{ loop.index }}" name="reason" rows="4" required maxlength="4000"></textarea>
<label for="contact-{{ loop.index }}">How to reach you (optional)</label>
<input type="text" id="contact-{{ loop.index }}" name="contact" maxlength="200">
<button type="submit">File objection</button>
</form></details>{% endif %}
</section>
{% else %}<p id="none">No public list entries for {{ masked }} on {{ day.date }}.</p>{% endfor %}
{% endblock %}"""

_ENTRY = """{% extends "base" %}{% block main %}
<h1>{{ e.title }}: <span id="subject">{{ masked }}</span></h1>
<p class="note">As of the start of {{ day.date }} (China time).</p>
<section class="{{ e.polarity }} entry">
{% include "entry_body" %}
</section>
{% if e.polarity == "black" %}<p>Is this entry about you, and wrong? Search for your full code on the <a href="/{{ day.query() }}">search page</a>: your status page has the form to object.</p>{% endif %}
<p><a href="{{ back }}">Back to the list</a></p>
{% endblock %}"""

_LIST = """{% extends "base" %}{% block main %}
<h1>{{ page.title }}</h1>
<p>{{ page.polarity|capitalize }} list of {{ page.scheme }} · legal basis: {{ page.legal_basis }}</p>
{% if page.note %}<p>{{ page.note }}</p>{% else %}
{% set pages = [1, (page.total + page.size - 1) // page.size]|max %}
{% set own = "person.id_number" in page.published_fields or "organisation.uscc" in page.published_fields %}
<p id="count">{{ "{:,}".format(page.total) }} {{ "entry" if page.total == 1 else "entries" }} as of the start of {{ day.date }} (China time){% if page.page <= pages %} · page {{ page.page }} of {{ pages }}{% endif %}</p>
{% if not page.entries %}<p id="empty">{% if page.total == 0 %}Nobody is on this list as of {{ day.date }}.{% else %}There is no page {{ page.page }}: the list has {{ pages }} page{{ "s" if pages > 1 }}. <a href="?page={{ pages }}{{ day.query('&') }}">Go to the last page</a>.{% endif %}</p>
{% else %}<div class="scroll" tabindex="0" role="region" aria-label="Entries on this page"><table><tr>{% if not own %}<th scope="col">Identity (masked)</th>{% endif %}<th scope="col">On the list</th>{% for f in page.published_fields %}<th scope="col">{{ f|label }}</th>{% endfor %}<th scope="col">Why</th></tr>
{% for e in page.entries %}<tr>{% if not own %}<td><a href="{{ e.link }}{{ day.query() }}">{{ e.subject }}</a></td>{% endif %}<td>{% if own %}<a href="{{ e.link }}{{ day.query() }}">since {{ e.since[:10] }}</a>{% else %}since {{ e.since[:10] }}{% endif %}, {{ "until " ~ e.until[:10] if e.until else (e.term if e.term else "while its condition holds") }}{% if e.reached %} (grade reached on {{ e.reached[:10] }}){% endif %}</td>
{% for f in page.published_fields %}<td>{{ "—" if e.fields.get(f) is none else e.fields.get(f) }}</td>{% endfor %}
<td class="why">{{ e.explanation or "" }}</td></tr>
{% endfor %}</table></div>{% endif %}
<nav class="pages">{% if page.page > 1 %}<a href="?page={{ [page.page - 1, pages]|min }}{{ day.query('&') }}">previous page</a>{% endif %}
{% if page.page < pages %}<a href="?page={{ page.page + 1 }}{{ day.query('&') }}">next page</a>{% endif %}</nav>
{% endif %}{% endblock %}"""

_OBJECTION = """{% extends "base" %}{% block main %}
<h1>Objection <span id="objection-id">{{ o.id }}</span></h1>
<p>Status: <strong id="status">{{ o.status }}</strong> · filed {{ o.filed_at[:10] }} ·
about {{ o.target.kind|replace('_', ' ') }} {{ o.target.id }} of {{ o.subject }}</p>
<h2>Deadlines</h2><ul id="deadlines">
{% for d in o.deadlines %}<li>{{ {"decision": "Decision", "correction": "Correction",
"reconsideration_filing": "Reconsideration request", "reconsideration_decision":
"Reconsideration decision"}[d.name] }} by <strong>{{ d.due or "(not computable: " ~ d.problem ~ ")" }}</strong>
(China time): {{ d.what }}.{% if d.provisional %} <em class="provisional">This date is
provisional: {{ d.provisional.split(": ", 1)[1] }}.</em>{% endif %}{% if d.met_at %} Done {{ d.met_at[:10] }}.{% elif d.overdue %}
<strong class="overdue">Overdue.</strong>{% endif %}</li>
{% endfor %}<li>If upheld: the wrong entry is corrected within {{ o.rule.periods.correction }} of
the decision. If rejected: {{ o.rule.reconsideration_body }} may be asked to reconsider within
{{ o.rule.periods.reconsideration_filing }} of the rejection, and decides within
{{ o.rule.periods.reconsideration_decision }}.</li>
</ul>{% if o.withdrawal %}<p id="withdrawn">Withdrawn on {{ o.withdrawal.at[:10] }}{% if
o.withdrawal.reason %}: {{ o.withdrawal.reason }}{% endif %}. The deciding body owes no decision
after that day.</p>{% endif %}<p class="note">Governing rule: {{ o.rule.legal_basis }} (confidence {{ o.rule.confidence }}).
Keep the objection id to follow it: <a href="/objections/{{ o.id }}">/objections/{{ o.id }}</a></p>
{% endblock %}"""

_RECEIVED = """{% extends "base" %}{% block main %}
<h1>Objection received</h1>
<p id="message">{{ message }}</p>
<p>Your receipt: <strong id="receipt">{{ receipt }}</strong></p>
<form action="/objections/withdraw" method="post" class="withdraw">
<input type="hidden" name="receipt" value="{{ receipt }}">
<label for="withdraw-reason">Withdraw this objection (before it is ruled on); why, optionally</label>
<input id="withdraw-reason" name="reason" maxlength="4000"> <button type="submit">Withdraw</button>
</form>
<p><a href="/">Back to search</a></p>
{% endblock %}"""

_WITHDRAWN = """{% extends "base" %}{% block main %}
<h1>Withdrawal received</h1><p id="message">{{ message }}</p><p><a href="/">Back to search</a></p>
{% endblock %}"""

_ERROR = """{% extends "base" %}{% block main %}
<h1>{{ title }}</h1><p id="error">{{ message }}</p><p><a href="/">Back to search</a></p>
{% endblock %}"""

env = Environment(
    loader=DictLoader(
        {
            "base": _BASE,
            "home": _HOME,
            "subject": _SUBJECT,
            "entry": _ENTRY,
            "entry_body": _ENTRY_BODY,
            "list": _LIST,
            "objection": _OBJECTION,
            "error": _ERROR,
            "received": _RECEIVED,
            "withdrawn": _WITHDRAWN,
        }
    ),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


#: Column labels for published fields (others: the field's last part in words).
LABELS = {
    "person.id_number": "Identity number (masked)",
    "person.name": "Name",
    "organisation.name": "Organisation",
    "organisation.uscc": "Credit code",
    "organisation.legal_representative": "Legal representative",
    "amount_performed": "Amount performed",
    "case_number": "Case number",
    "enforcing_court": "Enforcing court",
    "dishonest_conduct": "Dishonest conduct",
}


def label(field: str) -> str:
    return LABELS.get(field) or field.rsplit(".", 1)[-1].replace("_", " ").capitalize()


env.filters["label"] = label


def render(name: str, **context: Any) -> str:
    return env.get_template(name).render(**context)
