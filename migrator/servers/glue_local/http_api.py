"""The local Glue runtime behind Glue's own HTTP API (the JSON 1.1 protocol, `X-Amz-Target:
AWSGlue.<Operation>`), so any boto3 client, a third-party MCP server among them, runs real local
jobs with `AWS_ENDPOINT_URL_GLUE` pointing here. moto answers the Glue API but never runs a job.

Operations: jobs (CreateJob, UpdateJob, GetJob, GetJobs, ListJobs, DeleteJob), runs
(StartJobRun, GetJobRun, GetJobRuns, BatchStopJobRun), connections (CreateConnection,
GetConnection, GetConnections, DeleteConnection) and tags (GetTags, TagResource,
UntagResource, on `arn:aws:glue:<region>:<account>:job/<name>` and `...:connection/<name>`). Anything else is answered
`UnknownOperationException`. Errors are Glue's: `EntityNotFoundException`,
`AlreadyExistsException`, `InvalidInputException`, `ConcurrentRunsExceededException`,
`InternalServiceException`. Requests are not authenticated (the sandbox binds to 127.0.0.1).

GetConnection never returns a password (as with `HidePassword`): jobs of the local runtime
read their connection from its folder, and nothing else needs it.

Run as `python -m migrator.servers.glue_local.http_api ROOT PORT` (the sandbox does).
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from migrator.protocol import ErrorCode
from migrator.servers.glue_local.backend import LocalGlue
from migrator.servers.glue_local.runs import LocalGlueError

TARGET_PREFIX = "AWSGlue."
_EXCEPTIONS = {ErrorCode.NOT_FOUND: "EntityNotFoundException", ErrorCode.ALREADY_EXISTS: "AlreadyExistsException",
               ErrorCode.INVALID: "InvalidInputException", ErrorCode.LIMIT_EXCEEDED: "ConcurrentRunsExceededException"}


class ApiError(Exception):
    def __init__(self, kind: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.kind, self.message, self.status = kind, message, status


def _name(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise ApiError("InvalidInputException", f"{key} is required")
    return value


def _resource(arn: Any) -> tuple[str, str]:
    """("job" | "connection", name) of a Glue ARN."""
    for kind in ("job", "connection"):
        if isinstance(arn, str) and f":{kind}/" in arn:
            return kind, arn.rsplit(f":{kind}/", 1)[1]
    raise ApiError("InvalidInputException", f"ResourceArn {arn!r} is not a Glue job's or connection's ARN")


class GlueApi:
    """One method per operation: the request's JSON body in, the response's JSON body out."""

    def __init__(self, glue: LocalGlue) -> None:
        self.glue = glue
        self.lock = threading.Lock()   # tags live beside the job definition: read-modify-write

    def operations(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        return {name: getattr(self, name) for name in (
            "CreateJob", "UpdateJob", "GetJob", "GetJobs", "ListJobs", "DeleteJob", "StartJobRun", "GetJobRun",
            "GetJobRuns", "BatchStopJobRun", "CreateConnection", "GetConnection", "GetConnections",
            "DeleteConnection", "GetTags", "TagResource", "UntagResource")}

    def CreateJob(self, body: dict[str, Any]) -> dict[str, Any]:  # Glue's operation names
        return {"Name": self.glue.create_job(body)["name"]}

    def UpdateJob(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"JobName": self.glue.update_job(_name(body, "JobName"), body.get("JobUpdate") or {})["name"]}

    def GetJob(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"Job": self.glue.get_job(_name(body, "JobName"))}

    def ListJobs(self, body: dict[str, Any]) -> dict[str, Any]:
        page = self.glue.list_jobs(body.get("NextToken"), int(body.get("MaxResults") or 100))
        return {"JobNames": page["job_names"], **({"NextToken": page["next_token"]} if page["next_token"] else {})}

    def GetJobs(self, body: dict[str, Any]) -> dict[str, Any]:
        page = self.ListJobs(body)
        return {"Jobs": [self.glue.get_job(n) for n in page.pop("JobNames")], **page}

    def DeleteJob(self, body: dict[str, Any]) -> dict[str, Any]:
        name = _name(body, "JobName")
        self.glue.delete_job(name)
        return {"JobName": name}

    def StartJobRun(self, body: dict[str, Any]) -> dict[str, Any]:
        run = self.glue.start_job_run(_name(body, "JobName"), body.get("Arguments"), body.get("Timeout"))
        return {"JobRunId": run["run_id"]}

    def GetJobRun(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"JobRun": self.glue.get_job_run(_name(body, "JobName"), _name(body, "RunId"))}

    def GetJobRuns(self, body: dict[str, Any]) -> dict[str, Any]:
        page = self.glue.list_job_runs(_name(body, "JobName"), body.get("NextToken"),
                                       int(body.get("MaxResults") or 100))
        return {"JobRuns": page["job_runs"], **({"NextToken": page["next_token"]} if page["next_token"] else {})}

    def BatchStopJobRun(self, body: dict[str, Any]) -> dict[str, Any]:
        name = _name(body, "JobName")
        done, errors = [], []
        for run_id in body.get("JobRunIds") or []:
            try:
                self.glue.stop_job_run(name, run_id)
                done.append({"JobName": name, "JobRunId": run_id})
            except LocalGlueError as exc:
                errors.append({"JobName": name, "JobRunId": run_id,
                               "ErrorDetail": {"ErrorCode": _EXCEPTIONS.get(exc.code, "InternalServiceException"),
                                               "ErrorMessage": exc.message}})
        return {"SuccessfulSubmissions": done, "Errors": errors}

    def CreateConnection(self, body: dict[str, Any]) -> dict[str, Any]:
        connection = body.get("ConnectionInput") or {}
        self.glue.create_connection(connection)
        if body.get("Tags"):
            self.glue.set_connection_tags(connection["Name"], body["Tags"])
        return {}

    def GetConnection(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"Connection": self.glue.get_connection(_name(body, "Name"))}

    def GetConnections(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"ConnectionList": self.glue.list_connections()["connections"]}

    def DeleteConnection(self, body: dict[str, Any]) -> dict[str, Any]:
        name = _name(body, "ConnectionName")
        if not self.glue.delete_connection(name)["deleted"]:
            raise ApiError("EntityNotFoundException", f"connection {name!r} does not exist")
        return {}

    def _tags(self, arn: Any) -> tuple[Callable[[], dict[str, str]], Callable[[dict[str, Any]], None]]:
        kind, name = _resource(arn)
        if kind == "job":
            return (lambda: self.glue.job_tags(name)), (lambda tags: self.glue.set_job_tags(name, tags))
        return (lambda: self.glue.connection_tags(name)), (lambda tags: self.glue.set_connection_tags(name, tags))

    def GetTags(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"Tags": self._tags(body.get("ResourceArn"))[0]()}

    def TagResource(self, body: dict[str, Any]) -> dict[str, Any]:
        read, write = self._tags(body.get("ResourceArn"))
        with self.lock:
            write({**read(), **(body.get("TagsToAdd") or {})})
        return {}

    def UntagResource(self, body: dict[str, Any]) -> dict[str, Any]:
        read, write = self._tags(body.get("ResourceArn"))
        drop = set(body.get("TagsToRemove") or ())
        with self.lock:
            write({k: v for k, v in read().items() if k not in drop})
        return {}

    def handle(self, target: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON body) of one request."""
        operation = target[len(TARGET_PREFIX):] if target.startswith(TARGET_PREFIX) else ""
        try:
            method = self.operations().get(operation)
            if method is None:
                raise ApiError("UnknownOperationException", f"operation {target!r} is not served by the local "
                               "Glue runtime")
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                raise ApiError("SerializationException", "the request body is not JSON") from None
            if not isinstance(body, dict):
                raise ApiError("SerializationException", "the request body is not a JSON object")
            return 200, method(body)
        except ApiError as exc:
            return exc.status, {"__type": exc.kind, "message": exc.message}
        except LocalGlueError as exc:
            kind = _EXCEPTIONS.get(exc.code, "InternalServiceException")
            message = exc.message.split(": ", 1)[1] if exc.message.startswith(kind + ":") else exc.message
            return (500 if kind == "InternalServiceException" else 400), {"__type": kind, "message": message}
        except (ValueError, TypeError, KeyError) as exc:   # a body of the wrong shape
            return 400, {"__type": "InvalidInputException", "message": " ".join(str(exc).split())[:500]}
        except Exception as exc:   # an answer, never a dropped connection (which clients retry blindly)
            return 500, {"__type": "InternalServiceException",
                         "message": f"{type(exc).__name__}: {' '.join(str(exc).split())[:500]}"}


@contextmanager
def serving(root: Path, port: int = 0) -> Iterator[int]:
    """Serve the local runtime in `root` on 127.0.0.1:`port` (0: any free port) in a thread; yields the port."""
    api = GlueApi(LocalGlue(root))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, doc = api.handle(self.headers.get("X-Amz-Target") or "", self.rfile.read(length))
            body = json.dumps(doc, default=str).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="local-glue-api", daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or not args[1].isdigit():
        print("usage: python -m migrator.servers.glue_local.http_api ROOT PORT", file=sys.stderr)
        return 2
    with serving(Path(args[0]), int(args[1])):
        threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
