"""What an AWS error code means, in migrator's words: the one table for the built-in MCP
servers (which answer with an error code) and the Glue job (which retries what is transient).

The words are the values of `migrator.protocol.ErrorCode` ("not_found", "throttled", ...);
that enum cannot live here because this module is shipped in the Glue bundle (Python 3.9
syntax, standard library only), so `migrator.protocol.aws` turns them into the enum and a
test holds the two in step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NOT_FOUND = "not_found"
ALREADY_EXISTS = "already_exists"
INVALID = "invalid"
THROTTLED = "throttled"
ACCESS_DENIED = "access_denied"
UNAVAILABLE = "unavailable"
CONFLICT = "conflict"
LIMIT_EXCEEDED = "limit_exceeded"
TIMEOUT = "timeout"

#: botocore ClientError `Error.Code` -> migrator error code (DynamoDB, S3, Glue, STS).
ERROR_CODES: dict[str, str] = {
    "ResourceNotFoundException": NOT_FOUND,
    "ResourceNotFound": NOT_FOUND,
    "BucketAlreadyOwnedByYou": ALREADY_EXISTS,
    "EntityNotFoundException": NOT_FOUND,
    "NoSuchBucket": NOT_FOUND,
    "NoSuchKey": NOT_FOUND,
    "NotFound": NOT_FOUND,
    "404": NOT_FOUND,
    "TableNotFoundException": NOT_FOUND,
    "ResourceInUseException": CONFLICT,
    "TableAlreadyExistsException": ALREADY_EXISTS,
    "AlreadyExistsException": ALREADY_EXISTS,
    "IdempotentParameterMismatchException": CONFLICT,
    "BucketAlreadyExists": ALREADY_EXISTS,
    "ValidationException": INVALID,
    "InvalidInputException": INVALID,
    "InvalidParameterValue": INVALID,
    "InvalidArgument": INVALID,
    "SerializationException": INVALID,
    "ProvisionedThroughputExceededException": THROTTLED,
    "ThrottlingException": THROTTLED,
    "Throttling": THROTTLED,
    "RequestLimitExceeded": THROTTLED,
    "SlowDown": THROTTLED,
    "LimitExceededException": LIMIT_EXCEEDED,
    "ResourceNumberLimitExceededException": LIMIT_EXCEEDED,
    "ConcurrentRunsExceededException": LIMIT_EXCEEDED,
    "AccessDeniedException": ACCESS_DENIED,
    "AccessDenied": ACCESS_DENIED,
    "UnrecognizedClientException": ACCESS_DENIED,
    "InvalidClientTokenId": ACCESS_DENIED,
    "ExpiredTokenException": ACCESS_DENIED,
    "GlueEncryptionException": ACCESS_DENIED,
    "InternalServerError": UNAVAILABLE,
    "InternalFailure": UNAVAILABLE,
    "InternalServiceException": UNAVAILABLE,
    "ServiceUnavailable": UNAVAILABLE,
    "ServiceUnavailableException": UNAVAILABLE,
    "OperationTimeoutException": TIMEOUT,
    "ConditionalCheckFailedException": CONFLICT,
    "TransactionConflictException": CONFLICT,
    "ConcurrentModificationException": CONFLICT,
    "IllegalWorkflowStateException": CONFLICT,
}


def codes_meaning(*meanings: str) -> frozenset[str]:
    """The AWS error codes that mean one of `meanings` (e.g. THROTTLED)."""
    return frozenset(code for code, meaning in ERROR_CODES.items() if meaning in meanings)


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError (duck-typed: no botocore import needed)."""
    response: Any = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        code = response.get("Error", {}).get("Code")
        return code if isinstance(code, str) else None
    return None
