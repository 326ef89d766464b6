"""SQL text for the source server: one place where sqlglot's MySQL generator is called, so
what the server's dialect lacks (see `generate`) is rewritten in one place for every view,
count and check query.

The text must run, with the same meaning, on MySQL 8 and on MariaDB 10.11. sqlglot's MySQL
output does not always: it writes `a REGEXP b` as `REGEXP_LIKE(a, b)` (MariaDB has no such
function), `j->>'$.k'` stays an operator MariaDB lacks, and `0x41` becomes `x'41'`, which
MariaDB reads as text in arithmetic (`x'41' + 0` is 0 there, 65 on MySQL). `generate` rewrites
a copy of the tree into forms both servers read alike; the caller's tree is left as it was.
"""

from __future__ import annotations

from typing import ClassVar

from sqlglot import exp
from sqlglot.dialects.mysql import MySQL
from sqlglot.generators.mysql import MySQLGenerator


def _regexp_sql(gen: MySQLGenerator, node: exp.RegexpLike) -> str:
    """`a REGEXP b`: the operator MySQL and MariaDB both have (REGEXP_LIKE is MySQL's only)."""
    if node.args.get("flag") is not None:
        return gen.function_fallback_sql(node)
    return gen.binary(node, "REGEXP")


class _PortableGenerator(MySQLGenerator):
    """MySQL's generator with the operators both servers know where sqlglot emits a function
    one of them lacks. Infix REGEXP has no node of its own in sqlglot's tree, so it is a
    generator rule here rather than a tree rewrite; every other difference is in `portable`."""

    TRANSFORMS: ClassVar = {**MySQLGenerator.TRANSFORMS, exp.RegexpLike: _regexp_sql}


def _call(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def _rewrite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.JSONExtractScalar):
        # j->>'$.k': MariaDB has neither -> nor ->>; the function forms mean the same on both
        return _call("JSON_UNQUOTE", _call("JSON_EXTRACT", node.this, node.expression))
    if isinstance(node, exp.HexString) and node.this:
        # 0x41 is a number in arithmetic and text elsewhere on both servers; x'41' is text on MariaDB
        return exp.Literal(this=f"0x{node.this}", is_string=False)
    return node


def portable(tree: exp.Expression) -> exp.Expression:
    """A copy of `tree` in forms MySQL 8 and MariaDB 10.11 both read with the same meaning."""
    return tree.transform(_rewrite, copy=True)


def generate(tree: exp.Expression, *, pretty: bool = False) -> str:
    """`tree` as MySQL/MariaDB text, every identifier quoted."""
    return _PortableGenerator(dialect=MySQL(), pretty=pretty, identify=True).generate(portable(tree), copy=False)
