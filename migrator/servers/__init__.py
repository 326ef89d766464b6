"""The built-in MCP servers: mysql, dynamodb, glue, s3 (stdio, configured by environment)."""

from __future__ import annotations

import importlib

from migrator.errors import MigratorError

KINDS = ("mysql", "dynamodb", "glue", "s3")


def serve(kind: str) -> None:
    if kind not in KINDS:
        raise MigratorError(f"unknown built-in MCP server '{kind}'", hint="choose one of " + ", ".join(KINDS))
    module = importlib.import_module(f"migrator.servers.{kind}")
    module.main()
