"""The error a tool call raises on the client side: `ToolError`, carrying an `ErrorCode`.

The codes themselves are the protocol's (`migrator.protocol.errors`), shared with the
built-in servers; `ErrorCode` is re-exported here for the callers of the client.
"""

from __future__ import annotations

from migrator.errors import MigratorError
from migrator.protocol.errors import TRANSIENT, ErrorCode

__all__ = ["ErrorCode", "ToolError"]


class ToolError(MigratorError):
    """A tool call failed; carries the code so callers can branch on it."""

    def __init__(self, code: ErrorCode | str, message: str, *, server: str = "", tool: str = "",
                 hint: str | None = None) -> None:
        self.code = ErrorCode.parse(code)
        self.server = server
        self.tool = tool
        self.detail = message          # what the server said, without where it came from
        where = f"MCP server '{server}'" + (f" tool '{tool}'" if tool else "") if server else ""
        text = f"{where} failed ({self.code.value}): {message}" if where else message
        super().__init__(text, hint=hint)

    @property
    def transient(self) -> bool:
        return self.code in TRANSIENT
