"""A small REST client for commands that talk to a running server (``--url`` and ``--token``)."""

from __future__ import annotations

from typing import Any

import httpx
import typer

from governance.errors import GovernanceError

URL_OPTION = typer.Option("http://127.0.0.1:8000", "--url", envvar="GOVERNANCE_URL", help="Server base URL")
TOKEN_OPTION = typer.Option(None, "--token", envvar="GOVERNANCE_TOKEN", help="API token", show_default=False)


class ApiError(GovernanceError):
    """An error answer from the server, carrying its status and code."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(str(body.get("message", "")), details=body.get("details"))
        self.http_status = status
        self.api_code = str(body.get("code", "error"))


class Client:
    def __init__(self, url: str, token: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=60)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ApiError(0, {"code": "unreachable", "message": f"cannot reach {self.http.base_url}: {exc}"}) from None
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {"code": "http_error", "message": response.text[:500]}
            raise ApiError(response.status_code, body)
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        return response.json() if response.content else None
