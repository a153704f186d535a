"""REST: lint a candidate plan document without storing it (the console lints as the user types)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from governance.api.deps import Viewer
from governance.api.documents import read_body
from governance.api.openapi import PLAN_REF
from governance.errors import InvalidBody
from governance.plan.lint import lint_text

router = APIRouter(prefix="/api/v1/plans", tags=["plans"])
LINT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A candidate plan document (the plan format), as YAML or JSON text; lines refer to this "
                       "text. It need not be valid: what does not load is reported as invalid_plan findings",
        "content": {"application/yaml": {"schema": PLAN_REF}, "application/json": {"schema": PLAN_REF}},
    }
}


@router.post("/lint", openapi_extra=LINT_BODY, summary="Lint a candidate plan: findings with paths and lines")
async def lint(request: Request, _actor: Viewer) -> dict[str, Any]:
    """Always 200 for a readable body: a document that does not load yields ``invalid_plan`` errors
    placed on their lines, exactly as ``governance plan lint`` reports them."""
    raw = await read_body(request, request.app.state.settings.max_api_body_bytes)
    if not raw.strip():
        raise InvalidBody("request body is empty")
    issues = [{k: _printable(v) for k, v in issue.to_dict().items()} for issue in lint_text(raw)]
    errors = sum(1 for issue in issues if issue["severity"] == "error")
    return {"issues": issues, "errors": errors, "warnings": len(issues) - errors}


def _printable(value: Any) -> Any:
    """A lone surrogate (JSON allows ``"\\udc80"`` in a key) cannot be sent back as UTF-8: escape it."""
    return value.encode("utf-8", "backslashreplace").decode("utf-8") if isinstance(value, str) else value
