"""The public portal (server-rendered): search, status with masked numbers, explanation,
objection form."""

from __future__ import annotations

import re

import pytest
from http_helpers import AGENCY, OPERATOR, ORG, PERSON, TestClient, jsonl, listing


def test_home_lists_published_lists(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert "List of dishonest judgment defaulters" in r.text
    assert "<img" not in r.text


def test_search_by_code_goes_to_the_status_page(client: TestClient) -> None:
    r = client.get("/search", params={"q": PERSON.lower()}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"/subject/{PERSON}"


def test_search_by_name_explains_names_are_not_held(client: TestClient) -> None:
    r = client.get("/search", params={"q": "张三"})
    assert "holds no names" in r.text
    r = client.get("/search", params={"q": "defaulters"})
    assert "/lists/spc-defaulters/dishonest-defaulters" in r.text


def test_status_page_masks_explains_and_offers_an_objection(client: TestClient) -> None:
    entry = listing()
    client.post("/v1/records", content=jsonl(entry), headers=AGENCY)
    r = client.get(f"/subject/{PERSON}")
    assert r.status_code == 200
    page = r.text
    assert "1101**********002X" in page
    assert PERSON not in page.replace(f'value="{PERSON}"', "")  # only in the form's hidden field
    assert "List of dishonest judgment defaulters" in page
    assert f"The cause is record {entry.id}" in page
    assert "If this is wrong, object to" in page
    assert 'action="/objections"' in page
    assert "<img" not in page


def test_objection_form_redirects_to_a_receipt(client: TestClient) -> None:
    client.post("/v1/records", content=jsonl(listing()), headers=AGENCY)
    form = {
        "subject": PERSON,
        "target": "list:spc-defaulters/dishonest-defaulters",
        "reason": "I <b>paid</b>",
    }
    r = client.post("/objections", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text  # post-redirect-get
    assert r.headers["location"].startswith("/objections/received?receipt=rcp-")
    page = client.get(r.headers["location"])
    assert page.status_code == 200
    m = re.search(r'id="receipt">(rcp-[\w-]+)<', page.text)
    assert m is not None
    assert 'action="/objections/withdraw"' in page.text
    [case] = client.get("/v1/objections", headers=OPERATOR).json()["cases"]
    follow = client.get(f"/objections/{case['id']}")
    assert follow.status_code == 200
    assert "Decision by" in follow.text
    assert "within 3 working days" in follow.text
    assert "1101**********002X" in follow.text


def test_objection_form_refusals_are_pages(client: TestClient) -> None:
    r = client.post("/objections", data={"subject": PERSON, "target": "list:a/b", "reason": ""})
    assert r.status_code == 422
    assert "reason" in r.text
    r = client.post(
        "/objections",
        data={"subject": ORG, "target": "record:nope", "reason": "<script>"},
        follow_redirects=False,
    )
    assert r.status_code == 303  # the same answer as for a real record: nothing is learnt
    assert "<script>" not in r.text


def test_list_page_and_unknowns(client: TestClient) -> None:
    client.post("/v1/records", content=jsonl(listing()), headers=AGENCY)
    r = client.get("/lists/spc-defaulters/dishonest-defaulters")
    assert r.status_code == 200
    assert "1101**********002X" in r.text
    assert PERSON not in r.text
    assert client.get("/lists/nope/x").status_code == 404
    assert client.get("/subject/not a code").status_code == 400
    assert "not a code" in client.get("/subject/not a code").text


def test_objection_page_withdraws_before_a_ruling(client: TestClient) -> None:
    client.post("/v1/records", content=jsonl(listing()), headers=AGENCY)
    r = client.post(
        "/objections",
        data={"subject": PERSON, "target": "list:spc-defaulters/dishonest-defaulters",
              "reason": "paid"},
    )  # fmt: skip
    receipt = re.search(r'name="receipt" value="(rcp-[\w-]+)"', r.text)
    assert receipt is not None
    [case] = client.get("/v1/objections", headers=OPERATOR).json()["cases"]
    assert "/withdraw" not in client.get(f"/objections/{case['id']}").text  # the id is not enough
    r = client.post("/objections/withdraw", data={"receipt": "rcp-guess", "reason": "x"})
    assert r.status_code == 202
    assert 'id="withdrawn"' not in client.get(f"/objections/{case['id']}").text
    r = client.post(
        "/objections/withdraw", data={"receipt": receipt.group(1), "reason": "<b>ok</b>"}
    )
    assert r.status_code == 202, r.text
    page = client.get(f"/objections/{case['id']}").text
    assert 'id="withdrawn"' in page
    assert "&lt;b&gt;ok&lt;/b&gt;" in page


def test_api_docs_work_offline(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn." not in page.text  # today: cdn.jsdelivr.net
    for asset in re.findall(r'(?:href|src)="(/static-offline-docs/[^"]+)"', page.text):
        assert client.get(asset).status_code == 200, asset
    assert "swagger-ui-bundle.js" in page.text
    redoc = client.get("/redoc")
    assert "cdn." not in redoc.text


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/lists/spc-defaulters/dishonest-defaulters?page=0", 422, "page must be at least 1"),
        ("/lists/spc-defaulters/dishonest-defaulters?page=abc", 422, "page must be a whole number"),
        ("/foo", 404, "There is no page at /foo here"),
        ("/search?q=" + "1" * 150, 422, "q is too long (at most 100 characters)"),
    ],
)
def test_portal_errors_are_html_pages_in_plain_words(
    client: TestClient, path: str, status: int, words: str
) -> None:
    r = client.get(path)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("text/html")
    assert words in r.text
    assert (
        client.get("/v1/lists/spc-defaulters/dishonest-defaulters?page=0")
        .headers["content-type"]
        .startswith("application/json")
    )  # the API keeps JSON


@pytest.mark.parametrize(
    ("q", "words"),
    [
        ("1101**********002X", "This is a masked number"),
        ("110105194912310021", "1101**********0021 is not a valid code: check character at "
         "position 18 is &#39;1&#39;, expected &#39;X&#39;"),
        ("9111I000600037341L", "character &#39;I&#39; at position 5"),
    ],
)  # fmt: skip
def test_search_says_what_is_wrong_with_a_code_without_repeating_it(
    client: TestClient, q: str, words: str
) -> None:
    r = client.get("/search", params={"q": q})
    assert words in r.text
    assert "110105194912310021" not in r.text  # never an unmasked number


def test_subject_page_refuses_what_is_not_a_code(client: TestClient) -> None:
    for path in ("/subject/abc", "/subject/110105194912310021"):
        r = client.get(path)
        assert r.status_code == 400
        assert r.headers["content-type"].startswith("text/html")
        assert "110105194912310021" not in r.text


def test_list_pages_read_like_a_register(client: TestClient) -> None:
    client.post("/v1/records", content=jsonl(listing()), headers=AGENCY)
    page = client.get("/lists/spc-defaulters/dishonest-defaulters").text
    assert "page 1 of 1" in page
    assert '<th scope="col">Identity number (masked)</th>' in page
    assert "person.id_number" not in page  # human labels, not keys
    assert page.count("1101**********002X") == 1  # no duplicated subject column
    assert "The cause is record" in page  # the why, visible
    past = client.get("/lists/spc-defaulters/dishonest-defaulters?page=3").text
    assert "There is no page 3: the list has 1 page." in past
    empty = client.get("/lists/rongcheng/red").text
    assert "Nobody is on this list as of" in empty


def test_home_links_the_api_docs_and_audits_and_says_as_of_when(client: TestClient) -> None:
    page = client.get("/").text
    assert 'href="/docs"' in page
    assert 'href="/schemes/spc-defaulters/audit"' in page
    assert "Lists as in force at the start of " in page


def test_objection_form_errors_are_in_plain_words(client: TestClient) -> None:
    r = client.post("/objections", data={"subject": PERSON, "target": "list:a/b", "reason": ""})
    assert r.status_code == 422
    assert "reason is missing or too short." in r.text
    assert "String should have" not in r.text  # not the validation library's words
