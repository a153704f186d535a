"""REST: the plan format as a JSON Schema (``/api/v1/schemas/plan.json``), public like any format doc."""

from __future__ import annotations

from fastapi import APIRouter, Response

from governance.api.deps import Public
from governance.jsonresponse import FastJSON
from governance.plan.schema import plan_json_schema

router = APIRouter(prefix="/api/v1/schemas", tags=["plans"])


@router.get("/plan.json", dependencies=[Public], response_class=FastJSON,
            summary="The JSON Schema of plan documents (for editors: yaml-language-server $schema)",
            responses={200: {"content": {"application/schema+json": {}}}})
def plan_schema() -> Response:
    return FastJSON(plan_json_schema(), media_type="application/schema+json",
                    headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"})
