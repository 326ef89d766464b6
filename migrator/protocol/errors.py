"""The error codes every MCP answer speaks, from the built-in servers and from adapters.

Third-party servers report failures as free text; their adapters map that text onto
these codes, so the rest of migrator reasons about codes, never about messages.
"""

from __future__ import annotations

from enum import StrEnum


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

    @classmethod
    def parse(cls, code: object) -> ErrorCode:
        """The code a server sent; one this version does not know (or not a code at all) is INTERNAL."""
        if isinstance(code, str):
            try:
                return cls(code)
            except ValueError:
                pass
        return cls.INTERNAL


#: Codes worth retrying: the same call may succeed a moment later.
TRANSIENT: frozenset[ErrorCode] = frozenset({ErrorCode.THROTTLED, ErrorCode.UNAVAILABLE, ErrorCode.TIMEOUT})
