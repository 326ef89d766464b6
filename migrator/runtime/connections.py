"""Resolve a Glue connection into MySQL connection parameters, at run time, inside the job.

Why at run time: the password never travels through job arguments, plans or logs. On
AWS the connection comes from `glue.get_connection(HidePassword=False)`; under migrator's
local Glue runtime (env MIGRATOR_GLUE_LOCAL_DIR is set) from its connection file
`<dir>/connections/<name>.json` = {"Connection": {..., "ConnectionProperties": {...}}}.

Properties read: JDBC_CONNECTION_URL (`jdbc:mysql://host[:port]/database`, also
`jdbc:mariadb://`), USERNAME, PASSWORD, and SECRET_ID (or the connection's
AuthenticationConfiguration.SecretArn): a Secrets Manager secret whose JSON holds
username/password and optionally host/port/dbname. The secret's credentials win over
USERNAME/PASSWORD; the URL's host/port/database win over the secret's.

No message, repr or log line of this module contains the password.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Dict, Mapping, Optional
from urllib.parse import unquote

DEFAULT_PORT = 3306
LOCAL_DIR_ENV = "MIGRATOR_GLUE_LOCAL_DIR"

_JDBC_URL = re.compile(
    r"jdbc:(?:mysql|mariadb)://(?P<host>\[[^\]]+\]|[^:/?;\[\]]+)(?::(?P<port>\d+))?"
    r"(?:/(?P<database>[^?;]*))?(?:[?;].*)?\Z", re.IGNORECASE)


class ConnectionConfigError(Exception):
    """The connection cannot be resolved; the message names the connection, never a secret."""


class MySQLParams(dict):
    """host, port, user, password, database; its repr hides the password."""

    def __repr__(self) -> str:
        shown = {k: ("***" if k == "password" and v else v) for k, v in self.items()}
        return f"MySQLParams({shown!r})"

    __str__ = __repr__


def parse_jdbc_url(url: str) -> Dict[str, Any]:
    """host, port and database of a MySQL JDBC URL (port 3306 when absent, database None when absent)."""
    match = _JDBC_URL.match(url.strip()) if isinstance(url, str) else None
    if not match:
        raise ConnectionConfigError("JDBC_CONNECTION_URL is not of the form jdbc:mysql://host:port/database")
    host = match.group("host")
    if host.startswith("["):
        host = host[1:-1]
    database = unquote(match.group("database") or "") or None
    return {"host": host, "port": int(match.group("port") or DEFAULT_PORT), "database": database}


def local_connection(name: str, local_dir: str) -> Dict[str, Any]:
    """The connection document the local Glue runtime stored (password included)."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ConnectionConfigError(f"connection name {name!r} is not valid")
    path = Path(local_dir) / "connections" / f"{name}.json"
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConnectionConfigError(f"Glue connection {name!r} does not exist (local runtime at {local_dir})") from None
    except ValueError:
        raise ConnectionConfigError(f"the local Glue connection file for {name!r} is not JSON") from None
    connection = doc.get("Connection") if isinstance(doc, dict) else None
    if not isinstance(connection, dict):
        raise ConnectionConfigError(f"the local Glue connection file for {name!r} has no Connection object")
    return connection


def aws_connection(name: str, glue_client: Any = None) -> Dict[str, Any]:
    if glue_client is None:
        from migrator.runtime import aws
        glue_client = aws.client("glue")
    try:
        connection: Dict[str, Any] = glue_client.get_connection(Name=name, HidePassword=False)["Connection"]
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
        raise ConnectionConfigError(f"cannot read Glue connection {name!r}: {code}") from None
    return connection


def read_secret(secret_id: str, secrets_client: Any = None) -> Dict[str, Any]:
    """The JSON object of a Secrets Manager secret (RDS secret layout: username, password, host, port, dbname)."""
    if secrets_client is None:
        from migrator.runtime import aws
        secrets_client = aws.client("secretsmanager")
    try:
        text = secrets_client.get_secret_value(SecretId=secret_id)["SecretString"]
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
        raise ConnectionConfigError(f"cannot read secret {secret_id!r}: {code}") from None
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise ConnectionConfigError(f"secret {secret_id!r} is not a JSON object with username and password")
    return doc


def params_from_connection(connection: Mapping[str, Any], secrets_client: Any = None) -> MySQLParams:
    """MySQL parameters of a Glue connection document (AWS Connection shape)."""
    name = connection.get("Name", "?")
    props = connection.get("ConnectionProperties") or {}
    auth = connection.get("AuthenticationConfiguration") or {}
    secret_id = props.get("SECRET_ID") or auth.get("SecretArn")
    secret = read_secret(secret_id, secrets_client) if secret_id else {}
    url = props.get("JDBC_CONNECTION_URL")
    if url:
        try:
            where = parse_jdbc_url(url)
        except ConnectionConfigError as exc:
            raise ConnectionConfigError(f"Glue connection {name!r}: {exc}") from None
    else:
        where = {"host": secret.get("host"), "port": int(secret.get("port") or DEFAULT_PORT), "database": None}
    params = MySQLParams(
        host=where["host"] or secret.get("host"),
        port=where["port"],
        user=secret.get("username") or props.get("USERNAME"),
        password=secret.get("password") if secret.get("password") is not None else props.get("PASSWORD"),
        database=where["database"] or secret.get("dbname") or secret.get("database"))
    missing = [k for k in ("host", "user", "database") if not params.get(k)]
    if missing:
        raise ConnectionConfigError(f"Glue connection {name!r} does not give the MySQL {', '.join(missing)} "
                                    "(JDBC_CONNECTION_URL jdbc:mysql://host:port/database, USERNAME, PASSWORD "
                                    "or SECRET_ID)")
    return params


def mysql_params(connection_name: str, *, glue_client: Any = None, secrets_client: Any = None,
                 environ: Optional[Mapping[str, str]] = None) -> MySQLParams:
    """dict(host, port, user, password, database) of a Glue connection, resolved now."""
    env = os.environ if environ is None else environ
    local_dir = env.get(LOCAL_DIR_ENV)
    if local_dir:
        connection = local_connection(connection_name, local_dir)
    else:
        connection = aws_connection(connection_name, glue_client)
    connection = dict(connection)
    connection.setdefault("Name", connection_name)
    return params_from_connection(connection, secrets_client)
