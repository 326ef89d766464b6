"""The protocol shared by the MCP client and the built-in servers, and the rules that keep it
the only thing they share: one TIME text, one AWS error table, no client<->server imports."""

from __future__ import annotations

import ast
import datetime as dt
import decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from migrator.protocol import ErrorCode, decode_cell, effective_privileges, encode_cell, error_code_for, time_text
from migrator.runtime import aws_errors, items, writer

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "migrator"

#: MySQL TIME's range: -838:59:59.999999 .. 838:59:59.999999
TIME_LIMIT = dt.timedelta(hours=838, minutes=59, seconds=59, microseconds=999_999)
mysql_times = st.timedeltas(min_value=-TIME_LIMIT, max_value=TIME_LIMIT)


def float_time_text(value: dt.timedelta) -> str:
    """The built-in server's former rendering (through float seconds), kept as the oracle."""
    total = value.total_seconds()
    sign = "-" if total < 0 else ""
    total = abs(total)
    hours, rem = divmod(int(total), 3600)
    minutes, seconds = divmod(rem, 60)
    micros = round((total - int(total)) * 1_000_000)
    return f"{sign}{hours:02d}:{minutes:02d}:{seconds:02d}" + (f".{micros:06d}" if micros else "")


@given(mysql_times)
def test_time_text_on_the_wire_is_what_the_server_wrote_before(value: dt.timedelta) -> None:
    assert time_text(value) == float_time_text(value)
    assert encode_cell(value) == time_text(value)


@pytest.mark.parametrize(("value", "wire", "item"), [
    (dt.timedelta(0), "00:00:00", "00:00:00"),
    (dt.timedelta(hours=838, minutes=59, seconds=59), "838:59:59", "838:59:59"),
    (-dt.timedelta(hours=1, microseconds=1), "-01:00:00.000001", "-01:00:00"),
    (dt.timedelta(seconds=1, microseconds=999_999), "00:00:01.999999", "00:00:01.999"),
    (dt.timedelta(microseconds=1500), "00:00:00.001500", "00:00:00.001"),
    (dt.time(7, 8, 9, 120_000), "07:08:09.120000", "07:08:09.120"),
])
def test_time_text_six_digits_on_the_wire_milliseconds_in_items(value: dt.timedelta | dt.time, wire: str,
                                                                  item: str) -> None:
    assert time_text(value) == wire
    assert items.string_text(value) == item


@pytest.mark.parametrize(("kind", "value"), [
    ("integer", 7), ("decimal", decimal.Decimal("1.50")), ("float", 0.5), ("string", "x"),
    ("datetime", dt.datetime(2024, 4, 2, 15, 30, 45, 12)), ("datetime", dt.datetime(2024, 4, 2, 15, 30, 45)),
    ("date", dt.date(2024, 4, 2)), ("binary", b"\x00\xff"), ("time", "12:00:00"), ("integer", None),
])
def test_a_cell_decodes_to_what_was_encoded(kind: str, value: object) -> None:
    assert decode_cell(kind, encode_cell(value)) == value


def test_privileges_from_grants() -> None:
    lines = ["GRANT USAGE ON *.* TO `u`@`%`", "GRANT SELECT, CREATE VIEW ON `shop`.* TO `u`@`%`",
             "GRANT ALL PRIVILEGES ON `other`.* TO `u`@`%`", "GRANT UPDATE (a) ON `shop`.`t` TO `u`@`%`"]
    assert effective_privileges(lines, "shop") == {"USAGE", "SELECT", "CREATE VIEW"}
    assert "DROP" in effective_privileges(lines, "other")


def test_the_aws_table_speaks_error_codes() -> None:
    assert set(aws_errors.ERROR_CODES.values()) <= {c.value for c in ErrorCode}
    assert error_code_for("ThrottlingException") is ErrorCode.THROTTLED
    assert error_code_for("ConcurrentModificationException") is ErrorCode.CONFLICT
    assert error_code_for("SomethingNew", 503) is ErrorCode.UNAVAILABLE
    assert error_code_for("SomethingNew", 400) is ErrorCode.INVALID
    assert {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded",
            "InternalServerError", "ServiceUnavailable"} <= writer.RETRYABLE_CODES
    assert "ValidationException" not in writer.RETRYABLE_CODES
    assert writer.THROTTLING_CODES < writer.RETRYABLE_CODES


def test_error_code_parse_never_fails() -> None:
    assert ErrorCode.parse("not_found") is ErrorCode.NOT_FOUND
    assert ErrorCode.parse("something new") is ErrorCode.INTERNAL
    assert ErrorCode.parse(None) is ErrorCode.INTERNAL


# ----------------------------------------------------------------------------- import rules

def imports_of(path: Path) -> set[str]:
    """Every module a file imports (absolute, relative ones resolved), lazy imports included."""
    parts = path.relative_to(REPO).with_suffix("").parts
    package = parts[:-1]  # a module's package, or an __init__'s own
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[:len(package) - node.level + 1]) if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            out.add(module)
            out |= {f"{module}.{a.name}" for a in node.names}
    return out


def files(*where: str) -> list[Path]:
    return sorted(p for w in where for p in (PACKAGE / w).rglob("*.py"))


def offenders(paths: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    return [f"{p.relative_to(REPO)} imports {m}" for p in paths for m in sorted(imports_of(p))
            if any(m == f or m.startswith(f + ".") for f in forbidden)]


def test_the_client_never_imports_the_servers_nor_the_servers_the_client() -> None:
    assert offenders(files("mcp"), ("migrator.servers",)) == []
    assert offenders(files("servers"), ("migrator.mcp",)) == []


def test_the_protocol_and_the_mysql_schema_sit_at_the_bottom() -> None:
    allowed = ("migrator.protocol", "migrator.errors", "migrator.runtime.aws_errors", "migrator.runtime.mysql_time")
    bottom = [*files("protocol"), PACKAGE / "mysql_schema.py"]
    found = [m for p in bottom for m in imports_of(p) if m.startswith("migrator")]
    assert [m for m in found if not any(m == a or m.startswith(a + ".") for a in allowed)] == []


def test_the_compiler_does_not_import_the_mcp_client() -> None:
    assert offenders(files("compile"), ("migrator.mcp", "migrator.servers")) == []


def test_no_underscore_name_is_imported_across_modules() -> None:
    found = []
    for path in [*files("protocol", "mcp", "servers", "runtime", "sandbox", "state"), PACKAGE / "mysql_schema.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("migrator")):
                found += [f"{path.relative_to(REPO)}: {a.name}" for a in node.names
                          if a.name.startswith("_") and not a.name.startswith("__")]
    assert found == []
