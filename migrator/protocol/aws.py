"""AWS errors as error codes: the built-in DynamoDB, S3 and Glue servers answer with these.

The table itself lives in `migrator.runtime.aws_errors`, because the Glue job needs it too
and only `migrator.runtime` is shipped with the job.
"""

from __future__ import annotations

import re

from migrator.protocol.errors import ErrorCode
from migrator.runtime.aws_errors import ERROR_CODES
from migrator.runtime.aws_errors import error_code as _error_code


def aws_error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError; "" for any other exception."""
    return _error_code(exc) or ""


def error_code_for(aws_code: str, http_status: int = 0) -> ErrorCode:
    """The error code for an AWS error code; one the table does not know is `unavailable`
    for a server-side (5xx) failure, else `invalid`."""
    known = ERROR_CODES.get(aws_code)
    if known is not None:
        return ErrorCode(known)
    return ErrorCode.UNAVAILABLE if http_status >= 500 else ErrorCode.INVALID


#: how third-party servers print a boto3 failure: `An error occurred (Code) when calling ...`
#: (str of a ClientError), or `...: CodeException - message` (some handlers' own wording)
_CODE_IN_TEXT = re.compile(r"An error occurred \((\w+)\)|\b(\w+Exception) - ")


def aws_code_in_text(text: str) -> str:
    """The AWS error code a server's error text names; "" when it names none."""
    found = _CODE_IN_TEXT.search(text)
    return (found.group(1) or found.group(2)) if found else ""
