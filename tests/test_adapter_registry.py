"""The adapter registry: built from each adapter class's own `role` and `name`, read by mcp.json's
validation, and a class that declares neither, or repeats another's, fails when it is collected."""

from __future__ import annotations

import os

import pytest

from migrator.errors import ConfigError
from migrator.mcp.adapters import registry
from migrator.mcp.adapters.base import Adapter
from migrator.mcp.adapters.builtin import BuiltinDynamoDB, BuiltinGlue, BuiltinMySQL, BuiltinS3
from migrator.mcp.config import parse_config
from migrator.mcp.facades import ROLES

BUILTINS: tuple[type[Adapter], ...] = (BuiltinMySQL, BuiltinDynamoDB, BuiltinGlue, BuiltinS3)


def _adapter(role: str | None, name: str | None) -> type[Adapter]:
    attrs = {k: v for k, v in (("role", role), ("name", name)) if v is not None}
    return type(f"Fake_{role}_{name}", (Adapter,), attrs)


def test_every_declared_class_serves_its_own_role_and_name() -> None:
    assert set(registry.ADAPTERS) == set(ROLES)
    for cls in registry.DECLARED:
        assert registry.ADAPTERS[cls.role][cls.name] is cls
    assert sum(len(by_name) for by_name in registry.ADAPTERS.values()) == len(registry.DECLARED)
    assert {role: registry.adapter_names(role) for role in ROLES} == {
        "mysql": ("builtin", "mysql_mcp_server"), "dynamodb": ("builtin", "awslabs_dynamodb"),
        "glue": ("builtin", "awslabs_dataprocessing"), "s3": ("builtin", "awslabs_dataprocessing")}


@pytest.mark.parametrize("role", ROLES)
def test_config_accepts_exactly_the_registered_names(role: str) -> None:
    def roles(adapter: str) -> dict[str, object]:
        return {"mcpServers": {"srv": {"command": "x"}},
                "migrator": {"roles": {role: {"server": "srv", "adapter": adapter}}}}

    for name in registry.adapter_names(role):
        assert parse_config(roles(name), None, os.environ).roles[role].adapter == name
    with pytest.raises(ConfigError) as info:
        parse_config(roles("odbc"), None, os.environ)
    assert info.value.hint == "use one of " + ", ".join(registry.adapter_names(role))


def test_default_comes_first_whatever_the_order_declared() -> None:
    other = _adapter("mysql", "other")
    table = registry.collect((other, *reversed(BUILTINS)))
    assert list(table["mysql"]) == ["builtin", "other"]


@pytest.mark.parametrize("role, name", [(None, None), ("mysql", None), (None, "x"), ("mysql", "")])
def test_a_class_without_its_declarations_is_an_error(role: str | None, name: str | None) -> None:
    with pytest.raises(TypeError, match="must declare its `role` and `name`"):
        registry.collect((*BUILTINS, _adapter(role, name)))


def test_declarations_are_not_inherited() -> None:
    class Tweaked(BuiltinMySQL):
        pass

    with pytest.raises(TypeError, match="Tweaked must declare"):
        registry.collect((*BUILTINS, Tweaked))


def test_two_classes_with_one_role_and_name_are_an_error() -> None:
    with pytest.raises(TypeError, match="both declare role 'mysql' and name 'builtin'"):
        registry.collect((*BUILTINS, _adapter("mysql", "builtin")))


def test_a_role_that_is_not_one_is_an_error() -> None:
    with pytest.raises(TypeError, match="declares role 'ftp'"):
        registry.collect((*BUILTINS, _adapter("ftp", "x")))


def test_a_role_without_the_default_adapter_is_an_error() -> None:
    with pytest.raises(TypeError, match="no adapter declares role 'glue' with the default name 'builtin'"):
        registry.collect(c for c in BUILTINS if c is not BuiltinGlue)
