"""Prerequisites of the local Glue runtime (Python shell jobs and PySpark jobs)."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from migrator.errors import MigratorError

JDBC_JARS = (Path("/usr/share/java/mariadb-java-client.jar"), Path("/usr/share/java/mysql-connector-j.jar"))


@dataclass(frozen=True)
class GlueRuntimeInfo:
    java: str | None
    pyspark: str | None
    jdbc_jar: str | None

    @property
    def glueetl(self) -> bool:
        return bool(self.java and self.pyspark and self.jdbc_jar)


def probe() -> GlueRuntimeInfo:
    java = shutil.which("java")
    java_version = None
    if java:
        out = subprocess.run([java, "-version"], capture_output=True, text=True)
        first = (out.stderr or out.stdout).strip().splitlines()[:1]
        java_version = first[0] if first else "java"
    try:
        pyspark = importlib.metadata.version("pyspark")
    except importlib.metadata.PackageNotFoundError:
        pyspark = None
    jar = next((str(p) for p in JDBC_JARS if p.exists()), None)
    return GlueRuntimeInfo(java=java_version, pyspark=pyspark, jdbc_jar=jar)


def require(info: GlueRuntimeInfo) -> None:
    """Java is needed for glueetl jobs; a missing JDBC jar or pyspark is named too."""
    if info.java is None:
        raise MigratorError("Java is not installed (needed by the local Glue runtime for Spark jobs)",
                            hint="install the Debian package default-jre-headless")
    if info.jdbc_jar is None:
        raise MigratorError("the MariaDB JDBC driver is not installed (needed by Spark jobs to read MySQL)",
                            hint="install the Debian package libmariadb-java")
    if info.pyspark is None:
        raise MigratorError("pyspark is not installed (needed by the local Glue runtime for Spark jobs)",
                            hint="pip install 'pyspark==3.5.*'")
