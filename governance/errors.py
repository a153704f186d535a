"""The error tree. Every error the service raises on purpose is a ``GovernanceError``.

    GovernanceError                      code            status
    ├── BadRequest                       bad_request         400
    │   ├── InvalidBody                  invalid_body        400  (malformed JSON/YAML, depth)
    │   ├── PlanInvalid                  plan_invalid        422  (unknown keys, bad regex, bad schema)
    │   └── ValidationFailed             validation_failed   422
    ├── PayloadTooLarge                  payload_too_large   413
    ├── Unauthorized                     unauthorized        401
    ├── Forbidden                        forbidden           403
    ├── NotFound                         not_found           404
    │   ├── PlanNotFound                 plan_not_found      404
    │   ├── VersionNotFound              version_not_found   404
    │   ├── SourceNotFound               source_not_found    404
    │   └── ...NotFound (one per entity)
    ├── Conflict                         conflict            409
    │   ├── AlreadyExists                already_exists      409
    │   ├── IncompatiblePlan             incompatible_plan   409  (details: list of changes)
    │   ├── PlanInUse                    plan_in_use         409
    │   └── NothingToPublish             nothing_to_publish  409
    ├── PreconditionFailed               etag_mismatch       412
    ├── PreconditionRequired             if_match_required   428
    └── Unavailable                      unavailable         503  (storage cannot commit)

The API maps classes to ``(status, code)`` through the class attributes below; one handler walks
``type(exc).__mro__``. Codes are stable: clients may match on them.
"""

from __future__ import annotations

from typing import Any, ClassVar


class GovernanceError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


class BadRequest(GovernanceError):
    status = 400
    code = "bad_request"


class InvalidBody(BadRequest):
    code = "invalid_body"


class PlanInvalid(BadRequest):
    """A plan document that does not load: ``details`` is a list of ``{path, message, line}``."""

    status = 422
    code = "plan_invalid"


class ValidationFailed(BadRequest):
    status = 422
    code = "validation_failed"


class PayloadTooLarge(GovernanceError):
    status = 413
    code = "payload_too_large"


class Unauthorized(GovernanceError):
    status = 401
    code = "unauthorized"


class Forbidden(GovernanceError):
    status = 403
    code = "forbidden"


class NotFound(GovernanceError):
    status = 404
    code = "not_found"


class PlanNotFound(NotFound):
    code = "plan_not_found"


class VersionNotFound(NotFound):
    code = "version_not_found"


class SourceNotFound(NotFound):
    code = "source_not_found"


class Conflict(GovernanceError):
    status = 409
    code = "conflict"


class AlreadyExists(Conflict):
    code = "already_exists"


class IncompatiblePlan(Conflict):
    code = "incompatible_plan"


class PlanInUse(Conflict):
    code = "plan_in_use"


class NothingToPublish(Conflict):
    code = "nothing_to_publish"


class PreconditionFailed(GovernanceError):
    status = 412
    code = "etag_mismatch"


class PreconditionRequired(GovernanceError):
    status = 428
    code = "if_match_required"


class Unavailable(GovernanceError):
    status = 503
    code = "unavailable"
