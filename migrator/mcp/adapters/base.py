"""What every adapter shares: its server, its hub, and the tools each operation needs."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from mcp.types import CallToolResult

from migrator.mcp.client import CallOptions, McpHub
from migrator.mcp.errors import ToolError
from migrator.protocol import ErrorCode


def result_text(result: CallToolResult) -> str:
    return "\n".join(getattr(c, "text", "") for c in result.content if getattr(c, "type", "") == "text")


def parse_envelope(result: CallToolResult) -> Any:
    """The built-in servers' `{"ok": ..., "result"|"error": ...}` document."""
    doc = result.structuredContent
    if doc is None:
        text = result_text(result)
        try:
            doc = json.loads(text)
        except ValueError:
            # FastMCP reports argument validation failures as plain text with isError.
            code = ErrorCode.INVALID if result.isError else ErrorCode.INTERNAL
            raise ToolError(code, text.strip()[:500] or "empty answer") from None
    if not isinstance(doc, dict) or "ok" not in doc:
        raise ToolError(ErrorCode.INTERNAL, "answered in a format that is not migrator's (is it a built-in server?)")
    if doc["ok"]:
        return doc.get("result")
    err = doc.get("error") or {}
    raise ToolError(err.get("code", "internal"), str(err.get("message", "unknown error")))


class Adapter:
    """One role bound to one server. Subclasses list the tools each operation needs."""

    #: the role it serves and the name `migrator.roles.<role>.adapter` gives it in mcp.json; the
    #: registry (`adapters/registry.py`) is built from these, so each adapter class declares both
    role: ClassVar[str]
    name: ClassVar[str]
    #: operation -> tools it calls; an operation missing here is not possible with this adapter.
    required_tools: ClassVar[dict[str, tuple[str, ...]]]
    #: operation -> why it cannot be done, for operations this adapter cannot offer at all.
    unsupported: ClassVar[dict[str, str]] = {}
    #: DynamoDB adapters: the most rows per view a sampled compare reads (None: as asked)
    sample_cap: ClassVar[int | None] = None

    def diagnose(self, server_info: dict[str, Any], tools: set[str]) -> list[str]:
        """Warnings `doctor` adds for this server: a known wrong version, a misleading version."""
        return []

    def __init__(self, hub: McpHub, server: str) -> None:
        self.hub = hub
        self.server = server

    async def _call(self, tool: str, arguments: dict[str, Any] | None = None, *, timeout: float = 60.0,
                    idempotent: bool = True) -> Any:
        args = {k: v for k, v in (arguments or {}).items() if v is not None}
        return await self.hub.call(self.server, tool, args, parse_envelope,
                                   CallOptions(timeout=timeout, idempotent=idempotent))
