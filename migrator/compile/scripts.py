"""Glue job scripts (jinja2 templates under migrator/templates) and the runtime bundle."""

from __future__ import annotations

import functools
import json
from pathlib import PurePath
from collections.abc import Sequence

import jinja2

from migrator.runtime.bundle import build_bundle
from migrator.runtime.spec import ItemSpec
from migrator.runtime.verify import Source


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("migrator", "templates"), autoescape=False,
                             keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    return env


def render_load_script(spec: ItemSpec, *, contract: str, connection: str, result_uri: str, version: str,
                       engine: str = "pythonshell", extra: Sequence[tuple[str, str]] = ()) -> bytes:
    """The job script of one load: the item spec as one readable JSON document (ASCII, so any
    name survives the script's encoding) and the run's arguments baked in (run arguments given
    to StartJobRun still win)."""
    arguments = [("connection_name", connection), ("result_s3_uri", result_uri), *extra]
    text = _environment().get_template("glue/load.py.j2").render(
        table=spec.table, view=spec.view, contract=PurePath(contract).name or "contract", connection=connection,
        item_spec=spec_text(spec), arguments=arguments, version=version,
        spark=engine == "glueetl")
    return text.encode("utf-8")


def spec_text(spec: ItemSpec) -> str:
    """The spec's document for a reader of the script: sorted, one attribute per line, ASCII."""
    doc = spec.to_doc()
    attributes = doc.pop("attributes")
    lines = [f"  {json.dumps(a, sort_keys=True)}" for a in attributes]
    fields = [f" {json.dumps(k)}: {json.dumps(v, sort_keys=True)}" for k, v in sorted(doc.items())]
    return "{\n \"attributes\": [\n" + ",\n".join(lines) + "\n ],\n" + ",\n".join(fields) + "\n}"


def render_verify_script(*, table: str, contract: str, sources: Sequence[Source], connection: str,
                         result_uri: str, version: str, segments: int = 4,
                         spark_partitions: int | None = None) -> bytes:
    """The script of one full comparison (`migrator verify --full`); on Spark with `spark_partitions` tasks."""
    arguments = [
        ("connection_name", connection),
        ("target_table", table),
        ("sources", json.dumps([s.to_doc() for s in sources], sort_keys=True, ensure_ascii=False,
                               separators=(",", ":"))),
        ("result_s3_uri", result_uri),
        ("segments", str(segments)),
        *([("partitions", str(spark_partitions))] if spark_partitions else []),
    ]
    text = _environment().get_template("glue/verify.py.j2").render(
        table=table, contract=PurePath(contract).name or "contract", connection=connection, arguments=arguments,
        version=version, spark=bool(spark_partitions))
    return text.encode("utf-8")


@functools.lru_cache(maxsize=1)
def runtime_bundle() -> bytes:
    return build_bundle()
