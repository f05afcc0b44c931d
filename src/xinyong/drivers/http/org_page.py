"""The portal's company page, like Credit China's: ``GET /org/{code}`` shows a company's
public credit information (published penalties, list entries in force, public ratings, each
with basis, term and how to object or repair); ``GET /org?q=CODE`` finds it by its unified
social credit code. One use case behind it and ``xinyong org``:
:func:`xinyong.system.company.company_file`. xinyong holds no names, so there is no search
by name."""

# ruff: noqa: E501
from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import ChoiceLoader, DictLoader, Environment, select_autoescape

from xinyong.core.codes import check
from xinyong.core.errors import XinyongError
from xinyong.drivers.http import templates
from xinyong.drivers.http.context import Svc, access, code
from xinyong.drivers.http.dates import PortalDay
from xinyong.drivers.http.errors import error_body, status_of
from xinyong.drivers.http.public import term_words
from xinyong.system.company import NotACompany, company_file
from xinyong.system.principals import PUBLIC

router = APIRouter(include_in_schema=False)

_SEARCH = """{% extends "base" %}{% block main %}
<h1>Company credit information</h1>
<form action="/org" method="get" role="search">
<label for="q">Unified social credit code (18 characters)</label>
<input type="text" id="q" name="q" value="{{ q or '' }}" required maxlength="100">
{% if day.asked %}<input type="hidden" name="at" value="{{ day.date }}">{% endif %}
<button type="submit">Search</button></form>
{% if message %}<p id="message">{{ message }}</p>{% endif %}
{% endblock %}"""

_ORG = """{% extends "base" %}{% block main %}
<h1>Public credit information of <span id="code">{{ p.code }}</span></h1>
<p class="note">As of the start of {{ day.date }} (China time). Registered in {{ p.registration.region_name or p.registration.region }} · {{ p.registration.org_type_name }}. Names are {{ p.names }}.</p>
<h2>Administrative penalties published</h2>
{% for x in p.penalties %}<section class="black penalty"><p><b>{{ x.title }}</b> ({{ x.class }} class) · record {{ x.record_id }} · decided {{ x.decided[:10] }} by {{ x.by }}</p>
<p>Basis: {{ x.legal_basis }}. Published until {{ (x.published_until or '')[:10] }} ({{ x.publication_rules }}).</p>
<p>Repair: possible from {{ (x.repair_possible_from or '')[:10] }}: {{ x.how_to_repair }}.</p></section>
{% else %}<p id="no-penalties">None published.</p>{% endfor %}
<h2>List entries in force</h2>
{% for e in p.list_entries %}<section class="{{ e.polarity }} entry"><h3>{{ e.title }}</h3>
<p>{{ e.polarity|capitalize }} list {{ e.list }} · since {{ e.since[:10] }} · {% if e.until %}until {{ e.until[:10] }}{% if e.term_words %} (a term of {{ e.term_words }}){% endif %}{% elif e.term %}{{ e.term_words }}{% else %}while its condition holds{% endif %}</p>
<p>Basis: {{ e.basis }}</p>
<p>How to object: {{ e.how_to_object.how }} ({{ e.how_to_object.body }}; decided within {{ e.how_to_object.decision_within }}){% if e.how_to_object.reconsideration %}; then {{ e.how_to_object.reconsideration }}{% endif %}.</p>
{% if e.how_to_get_off %}<ul class="removal">{% for w in e.how_to_get_off %}<li>{{ w }}</li>{% endfor %}</ul>{% endif %}
{% if e.cause.rule %}<p class="note">{{ e.cause.rule }}</p>{% endif %}</section>
{% else %}<p id="no-entries">No list entries in force.</p>{% endfor %}
<h2>Public ratings</h2>
{% for r in p.ratings %}<p class="rating">{{ r.scheme }}: <b>{{ r.grade }}</b> (published on {{ r.published_by|join(', ') }})</p>
{% else %}<p id="no-ratings">No public rating.</p>{% endfor %}
<p class="note">{{ p.ratings_note }}.</p>
{% if p.unverified %}<h2>Unverified values (U)</h2>{% for s, vs in p.unverified.items() %}<p class="note">{{ s }}: {{ vs|join('; ') }}</p>{% endfor %}{% endif %}
<p><a href="/subject/{{ p.code }}{{ day.query() }}">Object to an entry or a record</a> · <a href="/org{{ day.query() }}">another company</a></p>
{% endblock %}"""

_ENV = Environment(
    loader=ChoiceLoader([DictLoader({"org": _ORG, "org_search": _SEARCH}), templates.env.loader]),  # type: ignore[list-item]
    autoescape=select_autoescape(default=True, default_for_string=True),
)


def _page(name: str, status: int = 200, **context: object) -> HTMLResponse:
    return HTMLResponse(_ENV.get_template(name).render(**context), status_code=status)


@router.get("/org", response_class=HTMLResponse)
def org_search(day: PortalDay, q: Annotated[str, Query(max_length=100)] = "") -> Response:
    text = q.strip().upper()
    c = check(text) if text else None
    if c is not None and c.valid and c.kind == "organisation":
        return RedirectResponse(f"/org/{quote(c.code)}{day.query()}", status_code=303)
    message = (
        f"{q.strip()!r} is not a valid unified social credit code. " if text else ""
    ) + "xinyong holds no company names: search by the full 18-character code."
    return _page("org_search", q=q, message=message, day=day)


@router.get("/org/{org_code}", response_class=HTMLResponse)
def org_html(org_code: str, svc: Svc, day: PortalDay) -> HTMLResponse:
    try:
        wanted = code(org_code)
        svc.journal.log([access(PUBLIC, wanted, "public portal company page", "company page")])
        page = company_file(svc.system, wanted, day.at).to_dict()
        for e in page["list_entries"]:
            e["term_words"] = term_words(e.get("term"))
        return _page("org", p=page, day=day)
    except NotACompany:
        # the code is not echoed: it may be a person's identity number (public pages mask them)
        return _page(
            "error",
            400,
            day=day,
            title="Not a company",
            message="The code given is not a company's unified social credit code; give the "
            "18-character USCC (e.g. 91310115100000016P).",
        )
    except XinyongError as e:
        status, _ = status_of(e)
        return _page(
            "error",
            status,
            day=day,
            title="Cannot show this company",
            message=error_body(e)["message"],
        )
