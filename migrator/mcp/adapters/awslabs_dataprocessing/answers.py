"""What the data-processing server's answers mean: a sentence, then the data as a JSON block;
a failure is `isError` with a text, mapped here onto an error code (and a fix, where there is one)."""

from __future__ import annotations

import json
import re
from typing import Any

from mcp.types import CallToolResult

from migrator.mcp.adapters.base import result_text
from migrator.mcp.errors import ToolError
from migrator.protocol import ErrorCode
from migrator.protocol.aws import aws_code_in_text, error_code_for


def recognise(result: CallToolResult) -> Any:
    """The answer's JSON block, or a ToolError with the code its text means."""
    text = result_text(result).strip()
    if result.isError:
        message = " ".join(text.split())[:500] or "failed"
        aws_code = aws_code_in_text(message)
        if aws_code:
            code = error_code_for(aws_code)
        elif "not managed by the MCP server" in message or re.search(r"without write access|requires --allow-write",
                                                                        message):
            code = ErrorCode.ACCESS_DENIED
        elif re.search(r"\bnot found\b|\bdoes not exist\b", message, re.I):
            code = ErrorCode.NOT_FOUND
        else:
            code = ErrorCode.INVALID
        hint = None
        if "write access" in message or "--allow-write" in message:
            hint = 'start the server with --allow-write: "args": ["awslabs.aws-dataprocessing-mcp-server", "--allow-write"]'
        elif "not managed by the MCP server" in message:
            hint = ("it was not created through this server, which changes only what it created; delete it by hand, "
                    "or run the server with CUSTOM_TAGS=true")
        raise ToolError(code, message, hint=hint)
    for block in reversed([c for c in result.content if getattr(c, "type", "") == "text"]):
        try:
            doc = json.loads(getattr(block, "text", ""))
        except ValueError:
            continue
        if isinstance(doc, dict):
            return doc
    raise ToolError(ErrorCode.INTERNAL, f"answered without a JSON block: {text[:200]!r}")
