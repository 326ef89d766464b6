"""Contract -> desired resource graph, plus the bytes of the artifacts it uploads.

Pure: the same contract, schema, server and settings give the same graph and the same
bytes (views through sqlglot, scripts through jinja2 with sorted JSON, a deterministic
zip), so plans are reproducible and reviewable. Each entity (the one of a single-entity
table, or each of a multi-entity table) gets its view, script, job and load; each table
gets one check over all its loads.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import Any

from migrator import __version__
from migrator.node_configs import CheckSpec, EntitySource, LoadOutputs, LoadRun
from migrator.compile.key_lint import key_findings
from migrator.compile.loads import (capacity_note, choose_engine, job_command, load_write_units, reject_budget,
                                    row_estimate, tuning_arguments, write_budget)
from migrator.compile.names import job_name, view_name
from migrator.compile.keysize import KeySizeCount, key_limits, key_size_count
from migrator.compile.rowcount import RowCount, row_count
from migrator.compile.scripts import render_load_script, runtime_bundle
from migrator.compile.tables import table_config
from migrator.compile.types import RUNTIME_ENCODINGS
from migrator.compile.views import Entity, compile_view
from migrator.contract.model import Attribute, Capacity, Contract, LoadOptions, Table, Transformation
from migrator.findings import Finding, Severity
from migrator.graph import Address, Graph, Node, fingerprint
from migrator.mysql_schema import SchemaInfo, ServerInfo
from migrator.runtime.spec import AttributeSpec, ItemSpec, SpecError
from migrator.runtime.verify import Source
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
    #: per entity view, how to prove it has one row per source row (compile/rowcount.py)
    row_counts: tuple[RowCount, ...] = ()
    #: per entity with a key that can be long, how to count its rows over DynamoDB's key limits
    key_sizes: tuple[KeySizeCount, ...] = ()

    @property
    def ok(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)


@dataclass(frozen=True)
class EntityPlan:
    """One view's worth of a table: what it is called and what its items hold."""

    entity: Entity
    entity_type: str | None
    suffix: str  # "" for a single-entity table, "/<ENTITY>" otherwise
    #: templates the entity's own key attributes override (checked, then unused)
    overridden: dict[str, str] = field(default_factory=dict)
    #: the table's `load` options with the entity's laid over them
    load: LoadOptions = field(default_factory=LoadOptions)


def _object_node(settings: Settings, key: str, content: bytes, content_type: str) -> Node:
    return Node(Address("s3_object", key), {"bucket": settings.bucket, "key": key, "content_type": content_type,
                                            "sha256": hashlib.sha256(content).hexdigest(), "size": len(content)},
                depends_on=(Address("s3_bucket", settings.bucket),))


def item_spec(table: Table, view: str, attributes: tuple[Attribute, ...], load: LoadOptions,
              encodings: Mapping[str, str]) -> ItemSpec:
    """The item mapping the load job applies and the checks read (runtime.spec.ItemSpec): each
    attribute's type and the encoding the plan decided that the runtime applies (`encodings`: the
    view's, compile/types.py; those done in SQL are already in the view), the table key, the write
    mode. SpecError when a rule `migrator validate` also applies is broken."""
    specs = [AttributeSpec(a.name, a.type, encoding=encodings.get(a.name) if encodings.get(a.name) in RUNTIME_ENCODINGS
                           else None) for a in attributes]
    return ItemSpec.of(view, table.name, specs, [k for k in (table.pk, table.sk) if k], load.write_mode,
                       load.version_column)


def entity_plans(table: Table) -> list[EntityPlan]:
    """Single-entity: the table itself. Multi-entity: each entity, its key attributes from its
    templates unless it defines them (the attribute wins, docs/contract.md)."""
    if table.type != "multi-entity":
        return [EntityPlan(Entity(f"table {table.name}", table.source_table, table.attributes, table.path, table),
                           None, "", load=table.load)]
    plans = []
    for entity in table.entities:
        attrs = list(entity.attributes)
        overridden: dict[str, str] = {}
        for key, template, label in ((table.sk, entity.sk_template, "sk_template"),
                                     (table.pk, entity.pk_template, "pk_template")):
            if key and any(a.name == key for a in attrs) and template:
                overridden[label] = template
            elif key and template:
                path = f"{entity.path}.{label}"
                attrs.insert(0, Attribute(name=key, type="S", source_table=entity.source_table, source_column=key,
                                          path=path, transformation=Transformation("string-format", path,
                                                                                   format=template)))
        owner = f"entity {entity.entity_type} of table {table.name}"
        plans.append(EntityPlan(Entity(owner, entity.source_table, tuple(attrs), entity.path, table), entity.entity_type,
                                f"/{entity.entity_type}", dict(sorted(overridden.items())),
                                load=table.load.merged(entity.load)))
    return plans


def _all_attributes(plans: list[EntityPlan]) -> dict[str, Attribute]:
    out: dict[str, Attribute] = {}
    for p in plans:
        for a in p.entity.attributes:
            out.setdefault(a.name, a)
    return out


def key_fingerprint(table_config: Mapping[str, Any]) -> str:
    """What a load's items depend on in its table: name and keys. An index or the billing mode is
    not part of it (a change of the table itself, in place, still re-runs its loads: `decide`)."""
    keys = [k["AttributeName"] for k in table_config["KeySchema"]]
    return fingerprint({"TableName": table_config["TableName"], "KeySchema": table_config["KeySchema"],
                        "AttributeDefinitions": [a for a in table_config["AttributeDefinitions"]
                                                 if a["AttributeName"] in keys]})


def index_nodes(table_node: Node) -> list[Node]:
    """One `dynamodb_gsi` node per index of the table, chained in name order: DynamoDB takes one
    index change per table at a time. Each carries the definitions of its own key attributes."""
    table = table_node.config["TableName"]
    types = {a["AttributeName"]: a for a in table_node.config["AttributeDefinitions"]}
    nodes: list[Node] = []
    for gsi in sorted(table_node.config.get("GlobalSecondaryIndexes") or [], key=lambda g: g["IndexName"]):
        keys = [k["AttributeName"] for k in gsi["KeySchema"]]
        previous = (nodes[-1].address,) if nodes else ()
        nodes.append(Node(Address("dynamodb_gsi", f"{table}/{gsi['IndexName']}"),
                          {"TableName": table, **gsi,
                           "AttributeDefinitions": [types[k] for k in sorted(set(keys)) if k in types]},
                          depends_on=(table_node.address, *previous)))
    return nodes


def _load_notes(engine: str, estimate: int | None, table: str, capacity: Capacity | None,
                units: int | None) -> dict[str, Any]:
    """What the plan shows beside a load, and what its run reads (never compared: see Node.notes)."""
    notes: dict[str, Any] = {"engine": engine, "rows_estimate": estimate}
    if units is not None:
        notes.update(capacity=capacity_note(table, capacity, units), write_units=units)
    return notes


def compile_contract(contract: Contract, schema: SchemaInfo, server: ServerInfo, settings: Settings,
                     source: SourceCredentials) -> Compiled:
    findings: list[Finding] = []
    nodes: list[Node] = []
    artifacts: dict[str, bytes] = {}

    bucket = Node(Address("s3_bucket", settings.bucket), {"bucket": settings.bucket})
    bundle = runtime_bundle()
    bundle_key = f"{settings.prefix}runtime/migrator_runtime.zip"
    artifacts[bundle_key] = bundle
    bundle_node = _object_node(settings, bundle_key, bundle, "application/zip")
    connection = Node(Address("glue_connection", settings.connection_name),
                      {"name": settings.connection_name, "jdbc_url": source.jdbc_url, "username": source.user,
                       "password": source.password}, sensitive=frozenset({"password"}))
    nodes += [bucket, bundle_node, connection]
    row_counts: list[RowCount] = []
    key_sizes: list[KeySizeCount] = []

    for table in contract.tables:
        plans = entity_plans(table)
        config, table_findings = table_config(table, _all_attributes(plans))
        findings += table_findings
        table_ok = not any(f.severity is Severity.ERROR for f in table_findings)
        table_node = Node(Address("dynamodb_table", table.name), config)
        gsi_nodes = index_nodes(table_node)
        entities: list[EntitySource] = []
        samples: list[Source] = []
        entity_nodes: list[Node] = []
        for ep in plans:
            view = view_name(table.name, ep.entity_type)
            spec, view_findings = compile_view(ep.entity, view, table.name, schema, server, ep.entity_type)
            findings += view_findings + key_findings(table, ep.entity, schema, ep.overridden)
            if spec is None:
                table_ok = False
                continue
            label = f"{table.name}{ep.suffix}"
            row_counts.append(row_count(spec, ep.entity.owner, ep.entity.path))
            sizes = key_size_count(spec.select_sql, ep.entity.owner, spec.source_table,
                                   key_limits(table, ep.entity.attributes))
            key_sizes += [sizes] if sizes is not None else []
            view_node = Node(Address("mysql_view", view), {"name": view, "sql": spec.select_sql,
                                                            "columns": list(spec.columns)})
            slug = label.replace("/", "__")
            result_key = f"{settings.prefix}results/{slug}.json"
            progress_prefix = f"{settings.prefix}progress/{slug}/"
            rejects_prefix = f"{settings.prefix}rejects/{slug}/"
            estimate = row_estimate(schema, ep.entity.source_table)
            engine = choose_engine(ep.load, ep.entity.source_table, estimate, settings.spark_threshold_rows)
            try:
                items = item_spec(table, view, ep.entity.attributes, ep.load, dict(spec.encodings))
            except SpecError as exc:
                findings.append(Finding(Severity.ERROR, ep.load.path or ep.entity.path, str(exc),
                                        "fix the load options (`migrator validate` names the rule)", "load.item_spec"))
                table_ok = False
                continue
            script = render_load_script(items, contract=contract.source, connection=settings.connection_name,
                                        result_uri=settings.s3_uri(result_key), version=__version__,
                                        engine=engine.command,
                                        extra=[("progress_s3_uri", settings.s3_uri(progress_prefix)),
                                               ("rejects_s3_uri", settings.s3_uri(rejects_prefix))])
            script_key = f"{settings.prefix}scripts/load_{slug}.py"
            artifacts[script_key] = script
            script_node = _object_node(settings, script_key, script, "text/x-python")
            job = job_name(settings.job_prefix, label.replace("/", "-"))
            job_node = Node(Address("glue_job", job), {
                "Name": job, "Role": settings.glue_role,
                "Description": f"migrator: load {label} from {view} ({engine.command})",
                **job_command(engine, settings.s3_uri(script_key), settings.python_version),
                "DefaultArguments": {"--extra-py-files": settings.s3_uri(bundle_key), "--job-language": "python",
                                     **tuning_arguments(ep.load, engine, write_budget(
                                         ep.load, table.capacity, table.estimated_item_size_bytes))},
                "Timeout": settings.job_timeout_minutes, "ExecutionProperty": {"MaxConcurrentRuns": 1},
                "Connections": {"Connections": [settings.connection_name]}, "Tags": {"managed-by": "migrator"}},
                depends_on=(script_node.address, bundle_node.address, connection.address))
            run = LoadRun(table.name, view, job, LoadOutputs(settings.bucket, result_key, progress_prefix,
                                                              rejects_prefix),
                          fingerprint({"view": view_node.fingerprint, "table": key_fingerprint(config),
                                       "items": items.to_doc(), "bundle": bundle_node.config["sha256"]}))
            load_node = Node(Address("load", label), run.to_config(),
                depends_on=(view_node.address, table_node.address, job_node.address, bucket.address,
                            *(g.address for g in gsi_nodes)),
                notes={**_load_notes(engine.describe(), estimate, table.name, table.capacity,
                                     load_write_units(ep.load, table.capacity)),
                       **reject_budget(ep.load, ep.load.path or f"{ep.entity.path}.load").notes()})
            entity_nodes += [view_node, script_node, job_node, load_node]
            entities.append(EntitySource(view, spec.source_table, load_node.address))
            samples.append(Source(items, rejects_prefix))
        if not table_ok:
            continue
        check = CheckSpec(table.name, tuple(entities), tuple(samples), settings.sample_size, settings.sample_seed)
        check_node = Node(Address("check", table.name), check.to_config(), depends_on=tuple(check.loads))
        nodes += [table_node, *gsi_nodes, *entity_nodes, check_node]
    graph = Graph.build(nodes)
    return Compiled(graph=graph, artifacts=artifacts, findings=tuple(findings), row_counts=tuple(row_counts),
                    key_sizes=tuple(key_sizes))
