"""Serve the web console (``web/``) from the web process: ``/`` is ``web/index.html``.

The console is static HTML, CSS and ES modules with no build step; it talks only to the REST API,
same-origin. Screens live behind hash routes (``/#/plans/ecommerce``), so a deep link loads
``index.html`` and the console routes in the browser. Each top-level folder of ``web/`` (``css``,
``js``, ``vendor``, ...) is mounted under its own name, so an unknown path anywhere else still
answers the API's JSON 404 and wrong methods keep their 405.

Where ``web/`` is: ``GOVERNANCE_WEB_DIR`` when set, else the ``web/`` folder beside the package
(the repository's, for a source checkout or an editable install).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

DEFAULT_WEB_DIR = Path(__file__).resolve().parents[1] / "web"
# The console loads nothing from elsewhere: scripts, styles and API calls are all same-origin.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {"Cache-Control": "no-cache", "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer"}


def web_dir(configured: str | None) -> Path | None:
    """The console's folder, or None when it is not there (the API runs without a console)."""
    path = Path(configured) if configured else DEFAULT_WEB_DIR
    return path if (path / "index.html").is_file() else None


class _Static(StaticFiles):
    """Static files that browsers revalidate (no stale modules after an upgrade), with the console's CSP."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []),
                                      *((k.lower().encode(), v.encode()) for k, v in HEADERS.items())]
            await send(message)

        await super().__call__(scope, receive, with_headers)


def mount_console(app: FastAPI, configured: str | None) -> Path | None:
    root = web_dir(configured)
    if root is None:
        return None
    index = root / "index.html"

    @app.get("/", include_in_schema=False)
    def console_index() -> FileResponse:
        return FileResponse(index, media_type="text/html", headers=HEADERS)

    for child in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        app.mount(f"/{child.name}", _Static(directory=child), name=f"console-{child.name}")
    return root
