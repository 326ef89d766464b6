"""The harness every Glue job script of migrator runs in: arguments in, one result out.

Why its own module: the load, the Spark load and both full comparisons are different jobs with
one contract towards Glue and towards migrator — Glue's `--key value` argv, a result document
put to S3 marked with the state's lineage, the result as the last stdout line, and on failure
one `<Label>: <sentence>` line on stderr (the local Glue runtime's ErrorMessage) and exit 1.

Python 3.9 (Glue Python shell), nothing from migrator outside `migrator.runtime`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import traceback
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple

from migrator.runtime.lineage import lineage_metadata
from migrator.runtime.items import iso_datetime


class JobError(Exception):
    """A job that cannot start or finish; the message is one sentence without secrets."""


def parse_argv(argv: Sequence[str]) -> Dict[str, str]:
    """Glue's `--key value` (or `--key=value`) pairs; anything else is ignored."""
    args: Dict[str, str] = {}
    i = 0
    while i < len(argv):
        token = argv[i]
        if token.startswith("--") and "=" in token:
            key, value = token[2:].split("=", 1)
            args[key] = value
            i += 1
        elif token.startswith("--") and i + 1 < len(argv):
            args[token[2:]] = argv[i + 1]
            i += 2
        else:
            i += 1
    return args


def int_arg(args: Mapping[str, str], name: str, default: int, error: Callable[[str], Exception] = JobError) -> int:
    raw = args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise error(f"--{name} must be a positive integer, got {raw!r}")
    return value


def rate_arg(args: Mapping[str, str], name: str, unit: str = "items per second",
             error: Callable[[str], Exception] = JobError) -> Optional[float]:
    raw = args.get(name)
    if raw in (None, ""):
        return None
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise error(f"--{name} must be a positive number of {unit}, got {raw!r}")
    return value


def split_s3_uri(uri: str, name: str = "result_s3_uri",
                 error: Callable[[str], Exception] = JobError) -> Tuple[str, str]:
    if not uri.startswith("s3://") or "/" not in uri[5:] or uri.endswith("/") or uri[5:].startswith("/"):
        raise error(f"--{name} must be an s3://bucket/key location, got {uri!r}")
    bucket, key = uri[5:].split("/", 1)
    return bucket, key


def now() -> str:
    return iso_datetime(dt.datetime.now(dt.timezone.utc))


def put_doc(s3: Any, uri: str, doc: Mapping[str, Any], lineage: str = "") -> None:
    """The result document at `uri`, marked with the state's lineage."""
    bucket, key = split_s3_uri(uri)
    body = json.dumps(doc, indent=2, sort_keys=True, default=str).encode("utf-8")
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json",
                  Metadata=lineage_metadata(lineage))


def one_line(exc: BaseException) -> str:
    """`Type: message` on one line; a JobError is its own sentence (the runtime's error messages
    never contain secrets)."""
    text = " ".join(str(exc).split()) or "no message"
    return text if isinstance(exc, JobError) else f"{type(exc).__name__}: {text}"


def job_main(argv: Optional[Sequence[str]], body: Callable[[Dict[str, str]], Mapping[str, Any]],
             error_label: str = "LoadError") -> int:
    """A job script's entry: Glue's argv in, the result as the last stdout line, or a failure as
    one `<error_label>: <sentence>` line on stderr (the local Glue runtime's ErrorMessage) and 1."""
    args = parse_argv(sys.argv[1:] if argv is None else argv)
    try:
        doc = body(args)
    except Exception as exc:
        if os.environ.get("MIGRATOR_DEBUG"):
            traceback.print_exc()
        text = one_line(exc)
        print(f"{error_label}: {text.split(': ', 1)[1] if text.startswith(error_label + ': ') else text}",
              file=sys.stderr, flush=True)
        return 1
    print(json.dumps({"event": "result", **doc}, default=str), flush=True)
    return 0
