"""`migrator mcp serve KIND`: run one of the built-in MCP servers on stdio."""

from __future__ import annotations

from typing import Annotated

import typer

from migrator.cli.common import guarded


def mcp_serve(kind: Annotated[str, typer.Argument(help="mysql | dynamodb | glue | s3")]) -> None:
    """Run a built-in MCP server on stdio (configured by environment)."""
    from migrator.servers import serve

    guarded(lambda: serve(kind))
