"""The API's documentation pages, ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), served with
their scripts and styles from this process: no CDN, so the docs work on an offline network
and a page never makes a request to another host.

FastAPI's own docs pages load Swagger UI and ReDoc from jsDelivr (and ReDoc's fonts from
Google). The assets here come from the ``fastapi-offline`` wheel (MIT; Swagger UI and
ReDoc are Apache-2.0 and MIT), which ships them as package data; only its static folder is
used, mounted at :data:`ASSETS_PATH`.

ReDoc's script draws Redocly's logo in its side menu from their CDN
(:data:`REDOC_CDN_LOGO`); the copy served here points that image at an empty ``data:`` URL,
which fails to decode, so ReDoc hides it and nothing is asked of another host.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS_PATH = "/docs-assets"
REDOC_SCRIPT = "redoc.standalone.js"
REDOC_CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def assets_folder() -> Path:
    """The folder holding ``swagger-ui-bundle.js``, ``swagger-ui.css``,
    ``redoc.standalone.js`` and ``favicon.png``."""
    return Path(str(files("fastapi_offline") / "static"))


@cache
def redoc_script() -> bytes:
    """ReDoc's standalone script with its CDN logo replaced by an empty ``data:`` URL."""
    text = (assets_folder() / REDOC_SCRIPT).read_text(encoding="utf-8")
    return text.replace(f'"{REDOC_CDN_LOGO}"', '"data:,"').encode("utf-8")


def install_api_docs(app: FastAPI) -> None:
    """Serve ``/docs`` and ``/redoc`` for ``app`` (created with ``docs_url=None`` and
    ``redoc_url=None``) from the bundled assets."""

    # Registered before the mount, so this copy is the one served under that name.
    @app.get(f"{ASSETS_PATH}/{REDOC_SCRIPT}", include_in_schema=False)
    def redoc_offline_script() -> Response:
        return Response(redoc_script(), media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=86400"})

    app.mount(ASSETS_PATH, StaticFiles(directory=assets_folder()), name="docs-assets")
    title = f"{app.title} API"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=title,
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon.png",
            # Swagger UI would post the document to validator.swagger.io for its badge.
            swagger_ui_parameters={"validatorUrl": None})

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json", title=title,
            redoc_js_url=f"{ASSETS_PATH}/{REDOC_SCRIPT}",
            redoc_favicon_url=f"{ASSETS_PATH}/favicon.png", with_google_fonts=False)
