"""What the MCP client (`migrator.mcp`) and the built-in servers (`migrator.servers`) share,
so that neither imports the other: error codes, the cell encoding of query results
(MySQL TIME text included), MySQL privileges read from grants, and AWS errors as codes.

    errors       ErrorCode, TRANSIENT
    cells        encode_cell (server side), decode_cell (client side), time_text, KINDS, json_item
    privileges   effective_privileges, ALL_PRIVILEGES
    aws          aws_error_code, error_code_for (the table is `migrator.runtime.aws_errors`)

Imports only the standard library and `migrator.runtime`'s stdlib-only modules.
"""

from __future__ import annotations

from migrator.protocol.aws import aws_error_code, error_code_for
from migrator.protocol.cells import KINDS, decode_cell, encode_cell, json_item, time_text
from migrator.protocol.errors import TRANSIENT, ErrorCode
from migrator.protocol.privileges import ALL_PRIVILEGES, effective_privileges

__all__ = ["ALL_PRIVILEGES", "KINDS", "TRANSIENT", "ErrorCode", "aws_error_code", "decode_cell", "effective_privileges",
           "encode_cell", "error_code_for", "json_item", "time_text"]
