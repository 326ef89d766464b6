"""The transient Glue job of `migrator verify --full`, one per table, from the compiled graph.

Pure: the job copies the table's load job (role, connection, bundle, timeout) and runs the
runtime's full comparison with the sources and keys of the table's check: in Python shell, or
on Spark with the same workers and partitions when any of the table's loads runs on Spark
(the table is then too large for one process to read in reasonable time).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from migrator import __version__
from migrator.node_configs import CheckSpec
from migrator.compile.loads import GLUEETL, PYTHONSHELL, Engine, job_command
from migrator.node_configs import LoadRun
from migrator.compile.names import job_name
from migrator.compile.scripts import render_verify_script
from migrator.graph import Address, Graph
from migrator.settings import Settings


@dataclass(frozen=True)
class FullJob:
    """Everything one comparison needs, as plain data."""

    table: str
    job: Mapping[str, Any]          # a CreateJob request
    bucket: str
    script_key: str
    script: bytes
    result_key: str


def verify_jobs(graph: Graph, contract_source: str, settings: Settings) -> list[FullJob]:
    out = []
    for check in (n for n in graph if n.address.kind == "check"):
        spec = CheckSpec.from_config(check.config)
        table = spec.table
        load_jobs = [graph.nodes[Address("glue_job", LoadRun.from_config(graph.nodes[a].config).job)].config
                     for a in spec.loads]
        load_job = load_jobs[0]
        spark = next((j for j in load_jobs if j["Command"]["Name"] == GLUEETL), None)
        engine = Engine(PYTHONSHELL, "verify") if spark is None else Engine(
            GLUEETL, "verify", workers=spark["NumberOfWorkers"], worker_type=spark["WorkerType"])
        partitions = None if spark is None else int(spark["DefaultArguments"].get("--partitions") or 8)
        slug = table.replace("/", "__")
        script_key = f"{settings.prefix}scripts/verify_{slug}.py"
        result_key = f"{settings.prefix}results/verify_{slug}.json"
        script = render_verify_script(table=table, contract=contract_source,
                                      sources=spec.sources,
                                      connection=settings.connection_name,
                                      result_uri=settings.s3_uri(result_key), version=__version__,
                                      spark_partitions=partitions)
        name = job_name(settings.job_prefix, f"verify-{slug}")
        job = {"Name": name, "Role": load_job["Role"],
               "Description": f"migrator: verify {table} against its views (transient)",
               **job_command(engine, settings.s3_uri(script_key), settings.python_version),
               "DefaultArguments": {"--extra-py-files": load_job["DefaultArguments"]["--extra-py-files"],
                                    "--job-language": "python"},
               "Timeout": load_job["Timeout"], "ExecutionProperty": {"MaxConcurrentRuns": 1},
               "Connections": load_job["Connections"], "Tags": {"managed-by": "migrator"}}
        out.append(FullJob(table, job, settings.bucket, script_key, script, result_key))
    return out
