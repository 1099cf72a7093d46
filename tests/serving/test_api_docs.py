"""``/docs`` and ``/redoc`` work offline: every script, style and icon they load comes from the
service itself, and those assets are served."""

from __future__ import annotations

import re

import pytest

from tests.api_harness import Api

REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\s*:\s*["']([^"']+)["']""")


def references(html: str) -> list[str]:
    return [a or b for a, b in REFERENCE.findall(html)]


@pytest.mark.parametrize(("page", "assets"), [
    ("/docs", {"swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"}),
    ("/redoc", {"redoc.standalone.js", "favicon.png"}),
])
def test_the_docs_load_nothing_from_another_host(api: Api, page: str,
                                                 assets: set[str]) -> None:
    answer = api.client.get(page)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    found = references(answer.text)
    assert found, answer.text[:500]
    assert [ref for ref in found if "//" in ref] == [], found
    assert "fonts.googleapis" not in answer.text
    assert "cdn.jsdelivr" not in answer.text
    served = {ref.rsplit("/", 1)[-1] for ref in found if ref.startswith("/docs-assets/")}
    assert assets <= served, found
    for ref in found:
        if ref.startswith("/docs-assets/"):
            asset = api.client.get(ref)
            assert asset.status_code == 200, ref
            assert len(asset.content) > 1000, ref


def test_swagger_ui_does_not_ask_the_online_validator(api: Api) -> None:
    html = api.client.get("/docs").text
    assert '"validatorUrl": null' in html


def test_the_document_the_docs_read_is_served(api: Api) -> None:
    document = api.client.get("/openapi.json")
    assert document.status_code == 200
    assert "/v1/checkins" in document.json()["paths"]
    assert "/docs" not in document.json()["paths"]


def test_reason_codes_are_an_enum_in_the_document(api: Api) -> None:
    """A phone app can switch on every reason code the service can give."""
    from visitproof.reasons import ReasonCode

    schema = api.client.get("/openapi.json").json()["components"]["schemas"]["ReasonPublic"]
    assert set(schema["properties"]["code"]["enum"]) == {code.value for code in ReasonCode}
