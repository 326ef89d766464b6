"""Binding roles to adapters: which class speaks to the server configured for a role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from migrator.mcp.adapters.awslabs_dataprocessing import AwsLabsDataProcessingGlue
from migrator.mcp.adapters.awslabs_dataprocessing_s3 import AwsLabsDataProcessingS3
from migrator.mcp.adapters.awslabs_dynamodb import AwsLabsDynamoDB
from migrator.mcp.adapters.base import Adapter
from migrator.mcp.adapters.builtin import BuiltinDynamoDB, BuiltinGlue, BuiltinMySQL, BuiltinS3
from migrator.mcp.adapters.mysql_mcp_server import MysqlMcpServerAdapter
from migrator.mcp.client import McpHub
from migrator.mcp.facades import S3, DynamoDB, Glue, MySQL

ADAPTER_CLASSES: dict[tuple[str, str], type[Adapter]] = {
    ("mysql", "builtin"): BuiltinMySQL,
    ("mysql", "mysql_mcp_server"): MysqlMcpServerAdapter,
    ("dynamodb", "builtin"): BuiltinDynamoDB,
    ("dynamodb", "awslabs_dynamodb"): AwsLabsDynamoDB,
    ("glue", "builtin"): BuiltinGlue,
    ("glue", "awslabs_dataprocessing"): AwsLabsDataProcessingGlue,
    ("s3", "builtin"): BuiltinS3,
    ("s3", "awslabs_dataprocessing"): AwsLabsDataProcessingS3,
}


def adapter_for(hub: McpHub, role: str) -> Adapter:
    binding = hub.config.roles[role]
    spec = hub.server_for_role(role)
    return ADAPTER_CLASSES[(role, binding.adapter)](hub, spec.name)


@dataclass(frozen=True)
class Facades:
    """The four roles of one run, each bound to its server through its adapter."""

    mysql: MySQL
    dynamodb: DynamoDB
    glue: Glue
    s3: S3

    @staticmethod
    def open(hub: McpHub) -> Facades:
        return Facades(mysql=cast(MySQL, adapter_for(hub, "mysql")), dynamodb=cast(DynamoDB, adapter_for(hub, "dynamodb")),
                       glue=cast(Glue, adapter_for(hub, "glue")), s3=cast(S3, adapter_for(hub, "s3")))
