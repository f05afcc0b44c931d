"""The portal's audit page per preset: the findings page, a 404 for anything else (a file
path is never read)."""

from __future__ import annotations

from http_helpers import TestClient


def test_audit_page_of_a_memorandum_lists_its_findings(client: TestClient) -> None:
    r = client.get("/schemes/joint-punishment-2016/audit")
    assert r.status_code == 200
    assert "text/html" in r.headers["content-type"]
    assert "jp.procurement" in r.text
    assert "eu-ai-act" in r.text


def test_audit_page_of_an_unknown_name_or_a_path_is_404(client: TestClient) -> None:
    assert client.get("/schemes/atlantis/audit").status_code == 404
    assert client.get("/schemes/..%2Fsecret.toml/audit").status_code == 404
