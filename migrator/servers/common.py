"""What every built-in MCP server shares: the result envelope and error classification.

Every tool returns one JSON document, both as `structuredContent` and as text, and sets
`isError` truthfully. Success: `{"ok": true, "result": ...}`. Failure:
`{"ok": false, "error": {"code": "not_found", "message": "..."}}` where `code` is one of
`migrator.protocol.ErrorCode`. Tools are written as plain synchronous functions that
return a JSON-able value or raise `ToolFailure`; `register` runs them in a worker thread
so one slow call never blocks the others on the same session.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import functools
import inspect
import json
import logging
import os
import sys
import typing
import warnings
from collections.abc import Callable
from typing import Any

import anyio
from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.utilities.func_metadata import FuncMetadata
from mcp.types import CallToolResult, TextContent, ToolAnnotations

from migrator.protocol import ErrorCode, aws_error_code, error_code_for
from migrator.servers.faults import CrashFault

log = logging.getLogger("migrator.servers")


class ToolFailure(Exception):
    """Raised by a tool body: becomes an `isError` result with a code."""

    def __init__(self, code: ErrorCode, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


def to_jsonable(value: Any) -> Any:
    """JSON for values boto3 and pymysql hand back (Decimal, datetime, bytes, sets)."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((to_jsonable(v) for v in value), key=repr)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def envelope_ok(result: Any) -> CallToolResult:
    doc = {"ok": True, "result": to_jsonable(result)}
    return CallToolResult(content=[TextContent(type="text", text=json.dumps(doc, sort_keys=True))],
                          structuredContent=doc, isError=False)


def envelope_error(code: ErrorCode, message: str, details: dict[str, Any] | None = None) -> CallToolResult:
    err: dict[str, Any] = {"code": code.value, "message": message}
    if details:
        err["details"] = to_jsonable(details)
    doc = {"ok": False, "error": err}
    return CallToolResult(content=[TextContent(type="text", text=json.dumps(doc, sort_keys=True))],
                          structuredContent=doc, isError=True)


class ToolServer(FastMCP):
    """FastMCP whose argument-validation failures also come back as coded envelopes."""

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> Any:
        from mcp.server.fastmcp.exceptions import ToolError

        try:
            return await super().call_tool(name, arguments)
        except ToolError as exc:  # unknown tool or arguments that do not fit the schema
            text = str(exc).replace("\n", " ")
            code = ErrorCode.NOT_FOUND if text.startswith("Unknown tool") else ErrorCode.INVALID
            return envelope_error(code, text[:1000])


class _TextSafeArguments(FuncMetadata):
    """FastMCP parses string arguments that look like JSON ("null", "[1]") even when the
    parameter accepts text (`str | None`), so the text "null" arrived as None. Text stays text."""

    def pre_parse_json(self, data: dict[str, Any]) -> dict[str, Any]:
        parsed = super().pre_parse_json(data)
        for key, value in data.items():
            field = self.arg_model.model_fields.get(key)
            if field is not None and isinstance(value, str) and _admits_text(field.annotation):
                parsed[key] = value
        return parsed


def _admits_text(annotation: Any) -> bool:
    return annotation is str or str in typing.get_args(annotation)


Classifier = Callable[[BaseException], "ToolFailure | None"]


def register(server: FastMCP, fn: Callable[..., Any], *, read_only: bool, classify: Classifier,
             idempotent: bool = True, description: str | None = None) -> None:
    """Expose `fn` as a tool; its signature becomes the input schema."""
    sig = inspect.signature(fn, eval_str=True)
    fault = CrashFault.from_env(os.environ)  # test-only; None unless MIGRATOR_FAULT_CRASH is set

    def run(**kwargs: Any) -> Any:
        if fault is not None:
            fault.maybe_fire(fn.__name__, "before")
        result = fn(**kwargs)
        if fault is not None:
            fault.maybe_fire(fn.__name__, "after")
        return result

    @functools.wraps(fn)
    async def wrapper(**kwargs: Any) -> CallToolResult:
        try:
            result = await anyio.to_thread.run_sync(functools.partial(run, **kwargs))
        except ToolFailure as failure:
            return envelope_error(failure.code, failure.message, failure.details)
        except Exception as exc:
            known = classify(exc)
            if known is None:
                log.exception("tool %s failed unexpectedly", fn.__name__)
                return envelope_error(ErrorCode.INTERNAL, f"{type(exc).__name__}: {exc}")
            return envelope_error(known.code, known.message, known.details)
        return envelope_ok(result)

    wrapper.__signature__ = sig.replace(return_annotation=CallToolResult)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {**{n: p.annotation for n, p in sig.parameters.items()}, "return": CallToolResult}
    server.add_tool(
        wrapper,
        name=fn.__name__,
        description=description or inspect.getdoc(fn) or fn.__name__,
        annotations=ToolAnnotations(readOnlyHint=read_only, destructiveHint=not read_only,
                                    idempotentHint=idempotent),
        structured_output=False,
    )
    registered = server._tool_manager.get_tool(fn.__name__)
    if registered is not None:
        registered.fn_metadata = _TextSafeArguments.model_construct(**dict(registered.fn_metadata))


def env_flag(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def run_stdio(server: FastMCP) -> None:
    """Serve on stdio; logs go to stderr so stdout stays the protocol channel."""
    logging.basicConfig(stream=sys.stderr, level=os.environ.get("MIGRATOR_LOG_LEVEL", "WARNING"),
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    warnings.filterwarnings("ignore", message="Previous unbuffered result")  # abandoned pages, by design
    server.run("stdio")


def classify_boto(exc: BaseException) -> ToolFailure | None:
    """Map botocore errors onto codes (`migrator.protocol.aws`); connection failures are `unavailable`."""
    from botocore.exceptions import (BotoCoreError, ClientError, EndpointConnectionError,
                                     NoCredentialsError, ParamValidationError)

    if isinstance(exc, ClientError):
        code = aws_error_code(exc)
        message = exc.response.get("Error", {}).get("Message", "") or str(exc)
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return ToolFailure(error_code_for(code, status), f"{code}: {message}" if code else message, aws_code=code)
    if isinstance(exc, ParamValidationError):
        return ToolFailure(ErrorCode.INVALID, str(exc).replace("\n", " "))
    if isinstance(exc, NoCredentialsError):
        return ToolFailure(ErrorCode.ACCESS_DENIED, "no AWS credentials found; set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE")
    if isinstance(exc, EndpointConnectionError):
        return ToolFailure(ErrorCode.UNAVAILABLE, str(exc))
    if isinstance(exc, BotoCoreError):
        return ToolFailure(ErrorCode.UNAVAILABLE, str(exc))
    return None


def boto_client(service: str, max_pool_connections: int = 10) -> Any:
    """A boto3 client honouring AWS_ENDPOINT_URL and AWS_REGION, with bounded retries."""
    import boto3
    from botocore.config import Config

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=60,
                    max_pool_connections=max_pool_connections)
    return boto3.session.Session().client(service, region_name=region, config=config,
                                          endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None)
