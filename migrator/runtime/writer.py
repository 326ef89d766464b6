"""BatchWriteItem with the rules DynamoDB enforces and the retries it expects.

Why not boto3's `Table.batch_writer`: it needs the resource layer (Python values, not the
DynamoDB JSON that `items.to_item` produces), it retries unprocessed items without any
backoff, never gives up, and counts nothing. This writer:

- sends at most 25 items per request (DynamoDB's limit; moto accepts more, AWS does not);
- never puts two items with the same key in one request (DynamoDB refuses the whole
  request): an item whose key is already buffered flushes the buffer first, so the
  later row wins, as it would with sequential PutItem calls;
- re-sends UnprocessedItems and retries throttling / internal errors with exponential
  backoff and full jitter (delay = uniform(0, min(max_delay, base_delay * 2**n)));
- gives up after `max_attempts` requests for the same items with BatchWriteFailed,
  saying how many items were not written;
- counts what it did, botocore's own silent retries included (`stats()`).
"""

from __future__ import annotations

import random
import time
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from migrator.runtime.aws_errors import THROTTLED, UNAVAILABLE, codes_meaning, error_code
from migrator.runtime.items import item_key

MAX_BATCH = 25
RETRYABLE_CODES = codes_meaning(THROTTLED, UNAVAILABLE)
THROTTLING_CODES = codes_meaning(THROTTLED)

Item = Dict[str, Dict[str, Any]]


class BatchWriteFailed(RuntimeError):
    """Items could not be written; `unwritten` counts them (buffered ones included)."""

    def __init__(self, message: str, unwritten: int) -> None:
        super().__init__(message)
        self.unwritten = unwritten


def _retry_attempts(response: Any) -> int:
    """How often botocore repeated the request before this answer (ResponseMetadata.RetryAttempts)."""
    if not isinstance(response, Mapping):
        return 0
    attempts = response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
    return attempts if isinstance(attempts, int) else 0


def backoff_delay(attempt: int, base_delay: float, max_delay: float, rng: random.Random) -> float:
    """Full jitter: uniform in [0, min(max_delay, base_delay * 2**(attempt-1))] before attempt+1."""
    ceiling = min(max_delay, base_delay * (2 ** min(attempt - 1, 62)))
    return rng.uniform(0.0, ceiling)


def table_key_names(client: Any, table_name: str) -> List[str]:
    """Partition key first, then the sort key, from DescribeTable."""
    schema = client.describe_table(TableName=table_name)["Table"]["KeySchema"]
    order = {"HASH": 0, "RANGE": 1}
    return [k["AttributeName"] for k in sorted(schema, key=lambda k: order[k["KeyType"]])]


class BatchWriter:
    """Buffered, deduplicated, retrying BatchWriteItem for one table (see the module docstring)."""

    def __init__(self, client: Any, table_name: str, *, key_names: Optional[Sequence[str]] = None,
                 max_attempts: int = 8, base_delay: float = 0.05, max_delay: float = 5.0,
                 sleep: Callable[[float], None] = time.sleep, rng: Optional[random.Random] = None,
                 batch_size: int = MAX_BATCH) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH}")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.client = client
        self.table_name = table_name
        self.key_names = list(key_names) if key_names is not None else None  # None: DescribeTable on first put
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.sleep = sleep
        self.rng = rng if rng is not None else random.Random()
        self.batch_size = batch_size
        self._buffer: List[Item] = []
        self._keys: Set[Tuple[Any, ...]] = set()
        self._closed = False
        self.written = 0        # items DynamoDB acknowledged
        self.batches = 0        # BatchWriteItem requests sent (re-sends included)
        self.retries = 0        # re-sends: for unprocessed items or after a retryable error
        self.throttles = 0      # requests answered with a throttling error or with unprocessed items
        self.unprocessed = 0    # items DynamoDB handed back as UnprocessedItems (summed over requests)
        self.duplicate_flushes = 0  # early flushes because a key was already in the buffer
        self.sdk_retries = 0    # attempts botocore repeated inside one request (its own backoff), summed

    # -- public

    def put(self, item: Item) -> None:
        if self._closed:
            raise RuntimeError("BatchWriter is closed")
        if self.key_names is None:
            self.key_names = table_key_names(self.client, self.table_name)
        key = item_key(item, self.key_names)
        if key in self._keys:
            self.duplicate_flushes += 1
            self.flush()
        self._buffer.append(item)
        self._keys.add(key)
        if len(self._buffer) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Send what is buffered; on failure the buffer is dropped and counted as unwritten."""
        batch, self._buffer, self._keys = self._buffer, [], set()
        if batch:
            self._send(batch)

    def close(self) -> None:
        if not self._closed:
            self.flush()
            self._closed = True

    def stats(self) -> Dict[str, int]:
        return {"written": self.written, "batches": self.batches, "retries": self.retries,
                "throttles": self.throttles, "unprocessed": self.unprocessed,
                "duplicate_flushes": self.duplicate_flushes, "sdk_retries": self.sdk_retries}

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self._closed = True

    # -- sending

    def _request(self, items: List[Item]) -> Dict[str, Any]:
        self.batches += 1
        try:
            response: Dict[str, Any] = self.client.batch_write_item(
                RequestItems={self.table_name: [{"PutRequest": {"Item": item}} for item in items]})
        except Exception as exc:
            self.sdk_retries += _retry_attempts(getattr(exc, "response", None))
            raise
        self.sdk_retries += _retry_attempts(response)
        return response

    def _send(self, items: List[Item]) -> None:
        pending = items
        last_problem = ""
        for attempt in range(1, self.max_attempts + 1):
            if attempt > 1:
                self.retries += 1
                self.sleep(backoff_delay(attempt - 1, self.base_delay, self.max_delay, self.rng))
            try:
                response = self._request(pending)
            except Exception as exc:
                code = error_code(exc)
                if code not in RETRYABLE_CODES:
                    raise BatchWriteFailed(
                        f"BatchWriteItem to {self.table_name} failed: {code or type(exc).__name__}: {exc}; "
                        f"{len(pending)} item(s) of this batch not written", len(pending)) from exc
                if code in THROTTLING_CODES:
                    self.throttles += 1
                last_problem = f"{code} on every attempt"
                continue
            returned = response.get("UnprocessedItems", {}).get(self.table_name, [])
            self.written += len(pending) - len(returned)
            if not returned:
                return
            self.throttles += 1
            self.unprocessed += len(returned)
            pending = [r["PutRequest"]["Item"] for r in returned]
            last_problem = "DynamoDB kept returning them as UnprocessedItems"
        raise BatchWriteFailed(
            f"{len(pending)} item(s) not written to {self.table_name} after {self.max_attempts} attempts "
            f"({last_problem}); consider more write capacity or on-demand mode", len(pending))
