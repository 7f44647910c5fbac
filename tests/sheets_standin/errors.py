"""Google's error answers, word for word where a recording or the documentation shows them.

Sheets answers {"error": {"code", "message", "status"[, "details"]}}; Drive v3 answers the
older {"error": {"code", "message", "errors": [...]}} shape.
"""

from __future__ import annotations

from typing import Any

_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
}

NOT_FOUND = "Requested entity was not found."
PERMISSION_DENIED = "The caller does not have permission"
INTERNAL = "Internal error encountered."
MISSING_CREDENTIALS = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. "
    "See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
INVALID_CREDENTIALS = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. "
    "See https://developers.google.com/identity/sign-in/web/devconsole-project."
)


class ApiError(Exception):
    """An answer other than 200; raised anywhere below the server and written out as JSON."""

    def __init__(self, code: int, message: str, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
        self.drive = False

    def body(self) -> dict[str, Any]:
        if self.drive:
            reason = {404: "notFound", 403: "forbidden", 401: "authError"}.get(self.code)
            item = {"message": self.message, "domain": "global", "reason": reason or "badRequest"}
            if self.code == 404:
                item |= {"location": "fileId", "locationType": "parameter"}
            return {"error": {"code": self.code, "message": self.message, "errors": [item]}}
        error: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "status": _STATUS.get(self.code, "UNKNOWN"),
        }
        if self.details:
            error["details"] = self.details
        return {"error": error}


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def file_not_found(file_id: str) -> ApiError:
    error = ApiError(404, f"File not found: {file_id}.")
    error.drive = True
    return error


def invalid_field(field: str, value: Any, kind: str) -> ApiError:
    """A body field of the wrong JSON type, as the recorded "data.values" answer words it."""
    shown = '"' + value + '"' if isinstance(value, str) else str(value).lower()
    message = f"Invalid value at '{field}' ({kind}), {shown}"
    violation = {"field": field, "description": message}
    details = [
        {"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [violation]}
    ]
    return ApiError(400, message, details)


def invalid_json(text: str) -> ApiError:
    """A body that is not JSON at all."""
    message = f"Invalid JSON payload received. Unexpected token.\n{text[:40]}\n^"
    violation = {"description": message}
    details = [
        {"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [violation]}
    ]
    return ApiError(400, message, details)


def unauthenticated(problem: str, service: str) -> ApiError:
    """401: no credential ("missing"), or a token Google never issued or that has expired."""
    missing = problem == "missing"
    reason = {"missing": "CREDENTIALS_MISSING", "expired": "ACCESS_TOKEN_EXPIRED"}.get(
        problem, "ACCESS_TOKEN_TYPE_UNSUPPORTED"
    )
    info = {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": {"service": service},
    }
    return ApiError(401, MISSING_CREDENTIALS if missing else INVALID_CREDENTIALS, [info])


def quota_exceeded(kind: str, limit: int) -> ApiError:
    """429 for a per-user per-minute bucket ("Read" or "Write")."""
    message = (
        f"Quota exceeded for quota metric '{kind} requests' and limit "
        f"'{kind} requests per minute per user' of service 'sheets.googleapis.com' "
        "for consumer 'project_number:000000000000'."
    )
    info = {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "RATE_LIMIT_EXCEEDED",
        "domain": "googleapis.com",
        "metadata": {
            "service": "sheets.googleapis.com",
            "consumer": "projects/000000000000",
            "quota_metric": f"sheets.googleapis.com/{kind.lower()}_requests",
            "quota_limit": f"{kind}RequestsPerMinutePerUser",
            "quota_limit_value": str(limit),
            "quota_location": "global",
        },
    }
    return ApiError(429, message, [info])


def in_request(index: int, kind: str, error: ApiError) -> ApiError:
    """Name the failing request of a batchUpdate, as Google does: "Invalid requests[2].x: ..."."""
    error.message = f"Invalid requests[{index}].{kind}: {error.message}"
    return error
