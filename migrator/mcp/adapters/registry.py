"""Which adapter class serves each role's configured adapter name.

The table is built from the classes' own `role` and `name` declarations, so mcp.json's
validation (`config.py`), `doctor` and the facades all read one table and a new adapter is
its class plus one line in `DECLARED`. A class that does not declare both, names a role that
is not one, or repeats another's role and name, and a role without the default adapter, are
errors when this module is imported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from migrator.mcp.adapters.awslabs_dataprocessing.glue import AwsLabsDataProcessingGlue
from migrator.mcp.adapters.awslabs_dataprocessing.s3 import AwsLabsDataProcessingS3
from migrator.mcp.adapters.awslabs_dynamodb import AwsLabsDynamoDB
from migrator.mcp.adapters.base import Adapter
from migrator.mcp.adapters.builtin import BuiltinDynamoDB, BuiltinGlue, BuiltinMySQL, BuiltinS3
from migrator.mcp.adapters.mysql_mcp_server.adapter import MysqlMcpServerAdapter
from migrator.mcp.client import McpHub
from migrator.mcp.facades import ROLES

#: the adapter a role uses when mcp.json names none (migrator's own servers)
DEFAULT = "builtin"

DECLARED: tuple[type[Adapter], ...] = (
    BuiltinMySQL, BuiltinDynamoDB, BuiltinGlue, BuiltinS3,
    MysqlMcpServerAdapter, AwsLabsDynamoDB, AwsLabsDataProcessingGlue, AwsLabsDataProcessingS3,
)


def collect(classes: Iterable[type[Adapter]]) -> dict[str, dict[str, type[Adapter]]]:
    """role -> adapter name -> class, the default first, from each class's own declarations."""
    table: dict[str, dict[str, type[Adapter]]] = {role: {} for role in ROLES}
    for cls in classes:
        declared = vars(cls)   # its own: a subclass does not serve its parent's role and name by inheritance
        role, name = declared.get("role"), declared.get("name")
        if not isinstance(role, str) or not isinstance(name, str) or not name:
            raise TypeError(f"adapter {cls.__qualname__} must declare its `role` and `name` (class attributes)")
        if role not in table:
            raise TypeError(f"adapter {cls.__qualname__} declares role {role!r}, which is not one of {', '.join(ROLES)}")
        if name in table[role]:
            raise TypeError(f"adapters {table[role][name].__qualname__} and {cls.__qualname__} both declare "
                            f"role {role!r} and name {name!r}")
        table[role][name] = cls
    for role, by_name in table.items():
        if DEFAULT not in by_name:
            raise TypeError(f"no adapter declares role {role!r} with the default name {DEFAULT!r}")
        table[role] = {DEFAULT: by_name[DEFAULT], **{n: c for n, c in by_name.items() if n != DEFAULT}}
    return table


ADAPTERS: Mapping[str, Mapping[str, type[Adapter]]] = collect(DECLARED)


def adapter_names(role: str) -> tuple[str, ...]:
    """The adapter names mcp.json may give `role`, the default first."""
    return tuple(ADAPTERS[role])


def adapter_for(hub: McpHub, role: str) -> Adapter:
    """The adapter the configuration binds to `role`, on the role's server."""
    binding = hub.config.roles[role]
    spec = hub.server_for_role(role)
    return ADAPTERS[role][binding.adapter](hub, spec.name)
