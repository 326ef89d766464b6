"""Contract -> desired resource graph, plus the bytes of the artifacts it uploads.

Pure: the same contract, schema, server and settings give the same graph and the same
bytes (views through sqlglot, scripts through jinja2 with sorted JSON, a deterministic
zip), so plans are reproducible and reviewable.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from migrator import __version__
from migrator.compile.names import job_name, view_name
from migrator.compile.scripts import render_load_script, runtime_bundle
from migrator.compile.tables import table_config
from migrator.compile.views import compile_view
from migrator.contract.model import Contract, Finding, Severity, Table
from migrator.graph import Address, Graph, Node, fingerprint
from migrator.mcp.facades import SchemaInfo, ServerInfo
from migrator.settings import Settings


@dataclass(frozen=True)
class SourceCredentials:
    """How the load job reaches MySQL; the password only ever goes to the Glue connection."""

    host: str
    port: int
    user: str
    password: str
    database: str

    @property
    def jdbc_url(self) -> str:
        return f"jdbc:mysql://{self.host}:{self.port}/{self.database}"


@dataclass(frozen=True)
class Compiled:
    graph: Graph
    artifacts: dict[str, bytes] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)


def _object_node(settings: Settings, key: str, content: bytes, content_type: str) -> Node:
    return Node(Address("s3_object", key), {"bucket": settings.bucket, "key": key, "content_type": content_type,
                                            "sha256": hashlib.sha256(content).hexdigest(), "size": len(content)},
                depends_on=(Address("s3_bucket", settings.bucket),))


def attribute_specs(table: Table) -> list[dict[str, Any]]:
    """What the runtime needs per attribute: its type, and whether it is a table or GSI key."""
    keys = {table.pk, table.sk} - {None}
    index_keys = {k for g in table.gsis for k in (g.pk, g.sk) if k} - keys
    return [{"name": a.name, "type": a.type, "key": a.name in keys, "index_key": a.name in index_keys}
            for a in table.attributes]


def compile_contract(contract: Contract, schema: SchemaInfo, server: ServerInfo, settings: Settings,
                     source: SourceCredentials) -> Compiled:
    findings: list[Finding] = []
    nodes: list[Node] = []
    artifacts: dict[str, bytes] = {}

    bundle = runtime_bundle()
    bundle_key = f"{settings.prefix}runtime/migrator_runtime.zip"
    artifacts[bundle_key] = bundle
    bundle_node = _object_node(settings, bundle_key, bundle, "application/zip")
    connection = Node(Address("glue_connection", settings.connection_name),
                      {"name": settings.connection_name, "jdbc_url": source.jdbc_url, "username": source.user,
                       "password": source.password}, sensitive=frozenset({"password"}))
    bucket = Node(Address("s3_bucket", settings.bucket), {"bucket": settings.bucket})
    nodes += [bucket, bundle_node, connection]

    for table in contract.tables:
        if table.type != "single-entity":
            findings.append(Finding(Severity.ERROR, f"{table.path}.type",
                                    f"{table.type} tables are not supported by this version of migrator",
                                    "split it into single-entity tables, or wait for multi-entity support",
                                    "unsupported.multi_entity"))
            continue
        view = view_name(table.name)
        spec, view_findings = compile_view(table, view, schema, server)
        config, table_findings = table_config(table)
        findings += view_findings + table_findings
        if spec is None or table_findings and any(f.severity is Severity.ERROR for f in table_findings):
            continue
        view_node = Node(Address("mysql_view", view), {"name": view, "sql": spec.select_sql,
                                                        "columns": list(spec.columns)})
        table_node = Node(Address("dynamodb_table", table.name), config)
        result_key = f"{settings.prefix}results/{table.name}.json"
        script = render_load_script(table=table.name, view=view, contract=contract.source,
                                    specs=attribute_specs(table), key_names=[k for k in (table.pk, table.sk) if k],
                                    connection=settings.connection_name, result_uri=settings.s3_uri(result_key),
                                    version=__version__)
        script_key = f"{settings.prefix}scripts/load_{table.name}.py"
        artifacts[script_key] = script
        script_node = _object_node(settings, script_key, script, "text/x-python")
        job = job_name(settings.job_prefix, table.name)
        job_node = Node(Address("glue_job", job), {
            "Name": job, "Role": settings.glue_role, "Description": f"migrator: load {table.name} from {view}",
            "Command": {"Name": "pythonshell", "ScriptLocation": settings.s3_uri(script_key),
                        "PythonVersion": settings.python_version},
            "DefaultArguments": {"--extra-py-files": settings.s3_uri(bundle_key), "--job-language": "python"},
            "MaxCapacity": 0.0625, "Timeout": settings.job_timeout_minutes,
            "ExecutionProperty": {"MaxConcurrentRuns": 1},
            "Connections": {"Connections": [settings.connection_name]}, "GlueVersion": "3.0",
            "Tags": {"managed-by": "migrator"}},
            depends_on=(script_node.address, bundle_node.address, connection.address))
        load_node = Node(Address("load", table.name), {
            "table": table.name, "view": view, "job": job, "result_bucket": settings.bucket, "result_key": result_key,
            "inputs": fingerprint({"view": view_node.fingerprint, "table": table_node.fingerprint,
                                   "script": script_node.config["sha256"], "bundle": bundle_node.config["sha256"]})},
            depends_on=(view_node.address, table_node.address, job_node.address, bucket.address))
        check_node = Node(Address("check", table.name), {"table": table.name, "view": view},
                          depends_on=(load_node.address,))
        nodes += [view_node, table_node, script_node, job_node, load_node, check_node]
    graph = Graph.build(nodes)
    return Compiled(graph=graph, artifacts=artifacts, findings=tuple(findings))

