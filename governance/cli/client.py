"""A small REST client for commands that talk to a running server (``--url`` and ``--token``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import typer

from governance.errors import GovernanceError

URL_OPTION = typer.Option("http://127.0.0.1:8000", "--url", envvar="GOVERNANCE_URL", help="Server base URL")
TOKEN_OPTION = typer.Option(None, "--token", envvar="GOVERNANCE_TOKEN", help="API token", show_default=False)
PAGE = 500  # the API's largest page


class ApiError(GovernanceError):
    """An error answer from the server (or none at all: status 0), carrying its status and code."""

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
                body = None
            if not isinstance(body, dict) or "message" not in body:
                body = {"code": "http_error", "message": f"HTTP {response.status_code} from {response.url}: "
                                                         f"{response.text[:200]}"}
            raise ApiError(response.status_code, body)
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            message = f"{response.url} did not answer JSON: is {self.http.base_url} a governance server?"
            raise ApiError(502, {"code": "not_the_api", "message": message}) from None

    def pages(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a paginated list (``{data, count}``); a bare list is taken whole."""
        offset = 0
        while True:
            answer = self.json("GET", path, params={**params, "limit": PAGE, "offset": offset})
            if isinstance(answer, list):
                yield from answer
                return
            data = answer.get("data", []) if isinstance(answer, dict) else []
            yield from data
            offset += len(data)
            if not data or offset >= int(answer.get("count", 0)):
                return
