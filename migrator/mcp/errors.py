"""Error codes shared by the built-in servers and the client layer.

Third-party servers report failures as free text; their adapters map that text onto
these codes, so the rest of migrator reasons about codes, never about messages.
"""

from __future__ import annotations

from enum import StrEnum

from migrator.errors import MigratorError


class ErrorCode(StrEnum):
    NOT_FOUND = "not_found"
    ALREADY_EXISTS = "already_exists"
    INVALID = "invalid"
    THROTTLED = "throttled"
    ACCESS_DENIED = "access_denied"
    UNAVAILABLE = "unavailable"
    CONFLICT = "conflict"
    LIMIT_EXCEEDED = "limit_exceeded"
    TIMEOUT = "timeout"
    UNSUPPORTED = "unsupported"
    INTERNAL = "internal"


#: Codes worth retrying: the same call may succeed a moment later.
TRANSIENT: frozenset[ErrorCode] = frozenset({ErrorCode.THROTTLED, ErrorCode.UNAVAILABLE, ErrorCode.TIMEOUT})


class ToolError(MigratorError):
    """A tool call failed; carries the code so callers can branch on it."""

    def __init__(self, code: ErrorCode | str, message: str, *, server: str = "", tool: str = "",
                 hint: str | None = None) -> None:
        self.code = ErrorCode(code) if code in ErrorCode._value2member_map_ else ErrorCode.INTERNAL
        self.server = server
        self.tool = tool
        where = f"MCP server '{server}'" + (f" tool '{tool}'" if tool else "") if server else ""
        text = f"{where} failed ({self.code.value}): {message}" if where else message
        super().__init__(text, hint=hint)

    @property
    def transient(self) -> bool:
        return self.code in TRANSIENT
