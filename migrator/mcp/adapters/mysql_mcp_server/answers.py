"""What the server's text answers mean: an error text and its code, a JSON page, SHOW GRANTS.

`mysql_mcp_server` answers every call with plain text: a header line, then comma-separated
values, or an error sentence that is not flagged as an error.
"""

from __future__ import annotations

import decimal
import json
import re
from typing import Any

from mcp.types import CallToolResult

from migrator.mcp.adapters.base import result_text
from migrator.mcp.errors import ToolError
from migrator.protocol import ErrorCode

#: the one tool the server has
TOOL = "execute_sql"

_ERROR_PATTERNS: tuple[tuple[re.Pattern[str], ErrorCode], ...] = tuple((re.compile(p, re.I), c) for p, c in (
    (r"access denied|command denied|not allowed to|authentication plugin", ErrorCode.ACCESS_DENIED),
    (r"can't connect|cannot connect|lost connection|gone away|connection refused|unknown mysql server host|"
     r"timed out|2003|2013", ErrorCode.UNAVAILABLE),
    (r"doesn't exist|unknown database|unknown table", ErrorCode.NOT_FOUND),
    (r"already exists", ErrorCode.ALREADY_EXISTS),
    (r"deadlock|lock wait timeout|too many connections", ErrorCode.THROTTLED),
    (r"max_statement_time|maximum statement execution time", ErrorCode.TIMEOUT),
))
_ERROR_PREFIXES = ("Error executing query:", "Error calling tool", "Only single statements are supported")


def recognise(result: CallToolResult) -> str:
    """The text of a successful answer, or a ToolError with a code for a failed one."""
    text = result_text(result)
    stripped = text.strip()
    if result.isError or stripped.startswith(_ERROR_PREFIXES):
        message = stripped.split(":", 1)[1].strip() if stripped.startswith("Error") and ":" in stripped else stripped
        message = " ".join(message.split())  # one line: MySQL quotes the SQL "near" an error, newlines and all
        for pattern, code in _ERROR_PATTERNS:
            if pattern.search(message):
                raise ToolError(code, message[:500])
        raise ToolError(ErrorCode.INVALID, message[:500])
    return text


def json_page(text: str, server: str) -> list[list[Any]] | None:
    """The rows of a `JSON_ARRAYAGG(...) AS j, COUNT(*) AS n` answer; None when the server cut them.

    The count follows the last comma of the one-line answer; rows that do not parse, or are
    fewer than it (MariaDB can cut exactly between two rows and close the array), were cut.
    """
    _, _, line = text.partition("\n")
    body, _, count = line.strip().rpartition(",")
    if not count.isdigit():
        raise ToolError(ErrorCode.INTERNAL, f"unexpected answer to a paged read: {text[:200]!r}",
                        server=server, tool=TOOL)
    if int(count) == 0:
        return []
    try:
        rows = json.loads(body, parse_float=decimal.Decimal)
    except ValueError:
        return None  # cut inside a row (or in the middle of a character: the server then prints bytes)
    return rows if isinstance(rows, list) and len(rows) == int(count) else None


def is_mariadb(version_text: str) -> bool:
    """Whether a version answer (`VERSION()`, with `@@version_comment`) is MariaDB's."""
    return "mariadb" in version_text.lower()


def grant_lines(text: str) -> list[str]:
    """The GRANT statements of a SHOW GRANTS answer (its first line is the header)."""
    return text.splitlines()[1:]
