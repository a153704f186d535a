"""The error tree. Every error the service raises on purpose is a ``GovernanceError``.

    GovernanceError                      code            status
    ├── BadRequest                       bad_request         400
    │   ├── InvalidBody                  invalid_body        400  (malformed JSON/YAML, depth)
    │   ├── InvalidVersionRef            invalid_version_ref 400  (not a number, 'latest' or 'draft')
    │   ├── PlanInvalid                  plan_invalid        422  (unknown keys, bad regex, bad schema)
    │   │   └── NothingImported          nothing_imported    422  (an import that found no rules)
    │   └── ValidationFailed             validation_failed   422
    ├── PayloadTooLarge                  payload_too_large   413
    ├── Unauthorized                     unauthorized        401  (answers carry WWW-Authenticate)
    │   └── InvalidToken                 unauthorized        401  (the challenge says invalid_token)
    ├── Forbidden                        forbidden           403
    ├── NotFound                         not_found           404
    │   ├── PlanNotFound                 plan_not_found      404
    │   ├── VersionNotFound              version_not_found   404
    │   ├── SourceNotFound               source_not_found    404
    │   ├── CheckNotFound                check_not_found     404
    │   ├── AlertNotFound                alert_not_found     404
    │   ├── ExpectedPeriodNotFound       expected_period_not_found 404
    │   ├── ChannelNotFound              channel_not_found   404
    │   ├── RuleNotFound                 rule_not_found      404
    │   ├── RegulationNotFound           regulation_not_found 404
    │   └── SilenceNotFound              silence_not_found   404
    ├── Conflict                         conflict            409
    │   ├── AlreadyExists                already_exists      409
    │   ├── IncompatiblePlan             incompatible_plan   409  (details: list of changes)
    │   ├── PlanInUse                    plan_in_use         409
    │   ├── NothingToPublish             nothing_to_publish  409
    │   ├── ManagedByPlan                check_managed_by_plan  409  (a plan or default check)
    │   └── SilenceExpired               silence_expired     409  (expiring a silence that has ended)
    ├── PreconditionFailed               etag_mismatch       412
    ├── PreconditionRequired             if_match_required   428
    ├── Unavailable                      unavailable         503  (storage cannot commit)
    └── SchemaNotCurrent                 schema_not_current  500  (run ``governance db upgrade``)

The API maps classes to ``(status, code)`` through the class attributes below; one handler walks
``type(exc).__mro__``. Codes are stable: clients may match on them.
"""

from __future__ import annotations

from typing import Any, ClassVar


class GovernanceError(Exception):
    """Any error the service raises on purpose."""

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
    """The request is malformed."""

    status = 400
    code = "bad_request"


class InvalidBody(BadRequest):
    """The body is not valid JSON/YAML, is empty, or nests too deep."""

    code = "invalid_body"


class InvalidVersionRef(BadRequest):
    """A version reference that is not a version number (1, 2, ...), `latest` or, where allowed, `draft`."""

    code = "invalid_version_ref"


class PlanInvalid(BadRequest):
    """A plan document that does not load: ``details`` is a list of ``{path, message, line}``."""

    status = 422
    code = "plan_invalid"


class NothingImported(PlanInvalid):
    """An import found no events, traits, page/screen or common rules; `details` says what was skipped."""

    code = "nothing_imported"


class ValidationFailed(BadRequest):
    """A field has a value the route does not accept; ``details`` lists paths."""

    status = 422
    code = "validation_failed"


class PayloadTooLarge(GovernanceError):
    """The body is larger than the limit."""

    status = 413
    code = "payload_too_large"


class Unauthorized(GovernanceError):
    """No valid API token (or write key)."""

    status = 401
    code = "unauthorized"
    challenge: ClassVar[str] = 'Bearer realm="governance"'  # RFC 6750: no error code when none was sent


class InvalidToken(Unauthorized):
    """An API token that is unknown or revoked."""

    challenge = 'Bearer realm="governance", error="invalid_token"'


class Forbidden(GovernanceError):
    """The token's role is too low for this route."""

    status = 403
    code = "forbidden"


class NotFound(GovernanceError):
    """No such route or entity."""

    status = 404
    code = "not_found"


class PlanNotFound(NotFound):
    """No plan with that id or name (or it was deleted)."""

    code = "plan_not_found"


class VersionNotFound(NotFound):
    """The plan has no such version."""

    code = "version_not_found"


class SourceNotFound(NotFound):
    """No source with that id or name."""

    code = "source_not_found"


class CheckNotFound(NotFound):
    """No data-quality check with that id."""

    code = "check_not_found"


class AlertNotFound(NotFound):
    """No alert with that id."""

    code = "alert_not_found"


class ExpectedPeriodNotFound(NotFound):
    """No expected period with that id."""

    code = "expected_period_not_found"


class ChannelNotFound(NotFound):
    """No alert channel with that id or name."""

    code = "channel_not_found"


class RuleNotFound(NotFound):
    """No routing rule with that id."""

    code = "rule_not_found"


class RegulationNotFound(NotFound):
    """No privacy regulation with that id."""

    code = "regulation_not_found"


class SilenceNotFound(NotFound):
    """No silence with that id."""

    code = "silence_not_found"


class Conflict(GovernanceError):
    """The request conflicts with the current state."""

    status = 409
    code = "conflict"


class AlreadyExists(Conflict):
    """An entity with that name exists."""

    code = "already_exists"


class IncompatiblePlan(Conflict):
    """Publishing would break the plan's compatibility mode; ``details.changes`` lists why."""

    code = "incompatible_plan"


class PlanInUse(Conflict):
    """The plan is bound to a source, or must be soft-deleted first."""

    code = "plan_in_use"


class NothingToPublish(Conflict):
    """The draft is identical to the latest version."""

    code = "nothing_to_publish"


class ManagedByPlan(Conflict):
    """The check comes from a plan or the defaults: change it there (the API may only switch it)."""

    code = "check_managed_by_plan"


class SilenceExpired(Conflict):
    """The silence has already ended (expired or past its end): there is nothing left to expire."""

    code = "silence_expired"


class PreconditionFailed(GovernanceError):
    """The draft changed since it was read (stale ``If-Match``)."""

    status = 412
    code = "etag_mismatch"


class PreconditionRequired(GovernanceError):
    """A draft edit without ``If-Match``."""

    status = 428
    code = "if_match_required"


class Unavailable(GovernanceError):
    """Storage cannot commit right now; retry after ``Retry-After`` seconds."""

    status = 503
    code = "unavailable"


class SchemaNotCurrent(GovernanceError):
    """The database's schema is not the one this release runs on."""

    code = "schema_not_current"
