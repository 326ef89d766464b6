"""Glue job scripts (jinja2 templates under migrator/templates) and the runtime bundle."""

from __future__ import annotations

import functools
import json
from pathlib import PurePath
from collections.abc import Sequence
from typing import Any

import jinja2

from migrator.runtime.bundle import build_bundle


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("migrator", "templates"), autoescape=False,
                             keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    return env


def render_load_script(*, table: str, view: str, contract: str, specs: list[dict[str, Any]],
                       key_names: list[str], connection: str, result_uri: str, version: str,
                       engine: str = "pythonshell", extra: Sequence[tuple[str, str]] = ()) -> bytes:
    """The job script of one load: its arguments baked in (run arguments still win)."""
    arguments = [
        ("connection_name", connection),
        ("source_view", view),
        ("target_table", table),
        ("attributes", json.dumps(specs, sort_keys=True, ensure_ascii=False, separators=(",", ":"))),
        ("key_names", json.dumps(key_names, ensure_ascii=False)),
        ("result_s3_uri", result_uri),
        *extra,
    ]
    template = "glue/load_spark.py.j2" if engine == "glueetl" else "glue/load_pythonshell.py.j2"
    text = _environment().get_template(template).render(
        table=table, view=view, contract=PurePath(contract).name or "contract", connection=connection,
        arguments=arguments, version=version)
    return text.encode("utf-8")


def render_verify_script(*, table: str, contract: str, sources: list[dict[str, Any]], key_names: list[str],
                         connection: str, result_uri: str, version: str, segments: int = 4,
                         spark_partitions: int | None = None) -> bytes:
    """The script of one full comparison (`migrator verify --full`); on Spark with `spark_partitions` tasks."""
    arguments = [
        ("connection_name", connection),
        ("target_table", table),
        ("sources", json.dumps(sources, sort_keys=True, ensure_ascii=False, separators=(",", ":"))),
        ("key_names", json.dumps(key_names, ensure_ascii=False)),
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
