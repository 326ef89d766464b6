"""SQL text for the source server: one place where sqlglot's MySQL generator is called, so
what the server's dialect lacks (see `generate`) is rewritten in one place for every view,
count and check query."""

from __future__ import annotations

from sqlglot import exp


def generate(tree: exp.Expression, *, pretty: bool = False) -> str:
    """`tree` as MySQL/MariaDB text, every identifier quoted."""
    return tree.sql(dialect="mysql", pretty=pretty, identify=True)
