"""Run settings that are not part of the contract: where artifacts go, what jobs are called."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    bucket: str = "migrator-artifacts"
    prefix: str = "migrator/"
    job_prefix: str = "migrator-"
    glue_role: str = "migrator-glue"
    connection_name: str = "migrator-mysql"
    python_version: str = "3.9"
    job_timeout_minutes: int = 120
    state_dir: Path = Path("state")
    parallelism: int = 10
    poll_seconds: float = 1.0
    #: how the Glue job reaches MySQL when that differs from how the MCP server does (VPC, tunnel).
    source_host: str | None = None
    source_port: int | None = None
    #: the MySQL database to read instead of the mysql server's MYSQL_DATABASE (`--database`)
    database: str | None = None
    #: `load.engine` auto picks Spark (glueetl) from this many estimated source rows
    spark_threshold_rows: int = 1_000_000
    #: rows per source view that `check` maps and compares with the stored items (0: counts only)
    sample_size: int = 1000
    sample_seed: str = "migrator"

    def s3_uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"
