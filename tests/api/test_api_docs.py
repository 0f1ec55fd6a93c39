"""The documentation works offline (issue 6 item 6): Swagger UI and ReDoc load only assets the
app serves itself, never a CDN."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

PAGES = ["/docs", "/redoc"]


@pytest.mark.parametrize("page", PAGES)
def test_the_docs_page_loads_nothing_from_another_host(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    assert re.findall(r"""(?:src|href)=["']?(https?:)?//""", response.text) == []
    assert "cdn" not in response.text


@pytest.mark.parametrize("page", PAGES)
def test_every_asset_the_docs_page_names_is_served(client: TestClient, page: str) -> None:
    assets = re.findall(r"""(?:src|href)=["']?(/static/[^"' >]+)""", client.get(page).text)
    assert assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


def test_the_oauth2_redirect_page_of_swagger_ui_is_served(client: TestClient) -> None:
    assert client.get("/docs/oauth2-redirect").status_code == 200
