"""Sending one table's batches: BatchWriteItem with the rules DynamoDB enforces and the retries
it expects.

Why not boto3's `Table.batch_writer`: it needs the resource layer (Python values, not the
DynamoDB JSON that `items.to_item` produces), it retries unprocessed items without any
backoff, never gives up, and counts nothing. This writer:

- forms its batches with a BatchBuffer (buffer.py: at most 25 items, no key twice, the later
  row of a key wins);
- re-sends UnprocessedItems and retries throttling / internal errors with exponential
  backoff and full jitter (runtime.backoff);
- gives up after `max_attempts` requests for the same items with BatchWriteFailed,
  saying how many items were not written;
- counts what it did, botocore's own silent retries included (`stats()`);
- optionally spends a write budget (`limiter`, a TokenBucket that several writers may share)
  before every request, re-sends included;
- optionally shares its backoff (`backoff`, a SharedBackoff): a delay one writer takes after
  throttling holds back the next request of every writer sharing it;
- asks for ReturnConsumedCapacity and sums the write units DynamoDB says it spent;
- optionally writes under a condition (`condition`, see modes.put_condition): BatchWriteItem takes
  no condition, so each item of a batch is then one conditional PutItem, with the same retries;
  an item the condition refuses is *skipped* (counted, left as it was), not failed;
- isolates the items DynamoDB refuses (`on_refused`): a refused batch is split in halves,
  recursively, until each refused item is alone; the others are written, each refused item is
  handed to `on_refused` and counted `refused`. At most 2n - 1 requests for n items, each through
  the same budget and retries. Without `on_refused` a refusal fails the batch: nobody would
  account for the item. A RefusalBreaker (refusals.py) stops isolating when the refusals are
  about the request, not the items.

A ParallelWriter (parallel.py) sends the same batches through several BatchWriters, one per
thread, calling `send` directly.
"""

from __future__ import annotations

import random
import time
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Set

from migrator.runtime.aws_errors import THROTTLED, UNAVAILABLE, codes_meaning, error_code
from migrator.runtime.writer.buffer import BatchBuffer
from migrator.runtime.writer.interface import (MAX_BATCH, STAT_NAMES, BatchWriteFailed, ClosesOnExit, Item, Key,
                                              Refused)
from migrator.runtime.writer.modes import Condition
from migrator.runtime.writer.refusals import REFUSED_CODES, RefusalBreaker, refusal_detail
from migrator.runtime.backoff import backoff_delay
from migrator.runtime.writer.throttle import SharedBackoff, TokenBucket

RETRYABLE_CODES = codes_meaning(THROTTLED, UNAVAILABLE)
THROTTLING_CODES = codes_meaning(THROTTLED)
CONDITION_FAILED = "ConditionalCheckFailedException"


def _retry_attempts(response: Any) -> int:
    """How often botocore repeated the request before this answer (ResponseMetadata.RetryAttempts)."""
    if not isinstance(response, Mapping):
        return 0
    attempts = response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
    return attempts if isinstance(attempts, int) else 0


def _consumed(response: Any) -> float:
    """Write units a response says were spent (ConsumedCapacity: one entry, or one per table)."""
    entries = response.get("ConsumedCapacity") if isinstance(response, Mapping) else None
    if isinstance(entries, Mapping):
        entries = [entries]
    total = 0.0
    for entry in entries or ():
        units = entry.get("CapacityUnits") if isinstance(entry, Mapping) else None
        if isinstance(units, (int, float)):
            total += float(units)
    return total


class BatchWriter(ClosesOnExit):
    """Buffered, deduplicated, retrying BatchWriteItem for one table (see the module docstring);
    a Writer. `send` sends one batch now, from the caller's thread."""

    def __init__(self, client: Any, table_name: str, *, key_names: Optional[Sequence[str]] = None,
                 max_attempts: int = 8, base_delay: float = 0.05, max_delay: float = 5.0,
                 sleep: Callable[[float], None] = time.sleep, rng: Optional[random.Random] = None,
                 batch_size: int = MAX_BATCH, limiter: Optional[TokenBucket] = None,
                 backoff: Optional[SharedBackoff] = None, condition: Optional[Condition] = None,
                 on_refused: Optional[Refused] = None, breaker: Optional[RefusalBreaker] = None) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH}")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.client = client
        self.table_name = table_name
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.sleep = sleep
        self.rng = rng if rng is not None else random.Random()
        self.limiter = limiter
        self.backoff = backoff
        self.condition = condition
        self.on_refused = on_refused
        self.breaker = breaker if breaker is not None else RefusalBreaker()
        self._buffer = BatchBuffer(client, table_name, key_names, batch_size, self._hand_over)
        self._closed = False
        self.written = 0        # items DynamoDB acknowledged
        self.skipped = 0        # items the write condition refused: left as they were, on purpose
        self.refused = 0        # items DynamoDB refused (ValidationException), handed to on_refused
        self.batches = 0        # BatchWriteItem requests sent (re-sends included)
        self.puts = 0           # conditional PutItem requests sent (re-sends included)
        self.retries = 0        # re-sends: for unprocessed items or after a retryable error
        self.throttles = 0      # requests answered with a throttling error or with unprocessed items
        self.unprocessed = 0    # items DynamoDB handed back as UnprocessedItems (summed over requests)
        self.sdk_retries = 0    # attempts botocore repeated inside one request (its own backoff), summed
        self.consumed_wcu = 0.0  # write capacity units DynamoDB reported (ReturnConsumedCapacity)

    @property
    def key_names(self) -> Optional[List[str]]:
        """The table's key attributes, partition key first; None until the first put reads them."""
        return self._buffer.key_names

    @property
    def duplicate_flushes(self) -> int:
        """Early flushes because a key was already in the buffer."""
        return self._buffer.duplicate_flushes

    # -- public

    def put(self, item: Item) -> None:
        if self._closed:
            raise RuntimeError("BatchWriter is closed")
        self._buffer.add(item)

    def flush(self) -> None:
        """Send what is buffered and return once it is written; on failure the buffer is
        dropped and counted as unwritten."""
        self._buffer.flush()

    def _hand_over(self, batch: List[Item], keys: Set[Key]) -> None:
        """A batch the buffer formed: sent now, from this thread."""
        self.send(batch)

    def send(self, items: List[Item]) -> None:
        """Send one batch (no two items with the same key) with retries; BatchWriteFailed says how
        many of its items were not written."""
        if self.condition is None:
            self._send_batch(items)
        else:
            for n, item in enumerate(items):
                try:
                    self._put_conditionally(item)
                except BatchWriteFailed as exc:
                    raise BatchWriteFailed(str(exc), len(items) - n) from exc

    def close(self) -> None:
        if not self._closed:
            self.flush()
            self._closed = True

    def abort(self) -> None:
        """Stop without sending what is buffered (the load failed elsewhere)."""
        self._closed = True

    def stats(self) -> Dict[str, float]:
        """The counters; all are whole numbers but consumed_wcu (to one decimal)."""
        return {name: round(float(getattr(self, name)), 1) if name == "consumed_wcu" else int(getattr(self, name))
                for name in STAT_NAMES}

    # -- sending

    def _wait_turn(self, items: int) -> None:
        """Wait out a shared backoff, then spend the budget for `items`."""
        if self.backoff is not None:
            pause = self.backoff.remaining()
            if pause > 0:
                self.sleep(pause)
        if self.limiter is not None:
            self.limiter.acquire(items)

    def _request(self, items: List[Item]) -> Dict[str, Any]:
        self._wait_turn(len(items))
        self.batches += 1
        try:
            response: Dict[str, Any] = self.client.batch_write_item(
                RequestItems={self.table_name: [{"PutRequest": {"Item": item}} for item in items]},
                ReturnConsumedCapacity="TOTAL")
        except Exception as exc:
            self.sdk_retries += _retry_attempts(getattr(exc, "response", None))
            raise
        self.sdk_retries += _retry_attempts(response)
        self.consumed_wcu += _consumed(response)
        return response

    def _back_off(self, attempt: int) -> None:
        """Before attempt `attempt` (> 1) of the same items: count the retry and sleep (shared)."""
        self.retries += 1
        delay = backoff_delay(attempt - 1, self.base_delay, self.max_delay, self.rng)
        if self.backoff is not None:
            self.backoff.defer(delay)
        self.sleep(delay)

    def _put_conditionally(self, item: Item) -> None:
        """One PutItem under the condition: written, or skipped when the condition refuses it."""
        assert self.condition is not None
        arguments = self.condition(item)
        last_problem = ""
        for attempt in range(1, self.max_attempts + 1):
            if attempt > 1:
                self._back_off(attempt)
            self._wait_turn(1)
            self.puts += 1
            try:
                response = self.client.put_item(TableName=self.table_name, Item=item, ReturnConsumedCapacity="TOTAL",
                                                **arguments)
            except Exception as exc:
                answer = getattr(exc, "response", None)
                self.sdk_retries += _retry_attempts(answer)
                code = error_code(exc)
                if code == CONDITION_FAILED:
                    self.consumed_wcu += _consumed(answer)   # AWS bills a refused write too
                    self.skipped += 1
                    self.breaker.accept()
                    return
                if code in REFUSED_CODES and self.on_refused is not None:
                    self._refuse(item, exc)
                    return
                if code not in RETRYABLE_CODES:
                    raise BatchWriteFailed(f"PutItem to {self.table_name} failed: {code or type(exc).__name__}: "
                                           f"{exc}", 1) from exc
                if code in THROTTLING_CODES:
                    self.throttles += 1
                last_problem = f"{code} on every attempt"
                continue
            self.sdk_retries += _retry_attempts(response)
            self.consumed_wcu += _consumed(response)
            self.written += 1
            self.breaker.accept()
            return
        raise BatchWriteFailed(f"an item was not written to {self.table_name} after {self.max_attempts} attempts "
                               f"({last_problem}); consider more write capacity or on-demand mode", 1)

    def _send_batch(self, items: List[Item]) -> None:
        pending = items
        last_problem = ""
        for attempt in range(1, self.max_attempts + 1):
            if attempt > 1:
                self._back_off(attempt)
            try:
                response = self._request(pending)
            except Exception as exc:
                code = error_code(exc)
                if code in REFUSED_CODES and self.on_refused is not None:
                    self._split(pending, exc)
                    return
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
            if len(returned) < len(pending):
                self.breaker.accept()
            if not returned:
                return
            self.throttles += 1
            self.unprocessed += len(returned)
            pending = [r["PutRequest"]["Item"] for r in returned]
            last_problem = "DynamoDB kept returning them as UnprocessedItems"
        raise BatchWriteFailed(
            f"{len(pending)} item(s) not written to {self.table_name} after {self.max_attempts} attempts "
            f"({last_problem}); consider more write capacity or on-demand mode", len(pending))

    def _split(self, items: List[Item], refusal: BaseException) -> None:
        """DynamoDB refused `items` as a whole: send each half on its own (recursively, with
        fresh retries) until the refused items are alone; then hand each to `on_refused`."""
        if len(items) == 1:
            self._refuse(items[0], refusal)
            return
        middle = (len(items) + 1) // 2
        try:
            self._send_batch(items[:middle])
        except BatchWriteFailed as exc:   # the second half was not sent either
            raise BatchWriteFailed(str(exc), exc.unwritten + len(items) - middle) from exc
        self._send_batch(items[middle:])

    def _refuse(self, item: Item, refusal: BaseException) -> None:
        """One item DynamoDB refused: counted, and handed over with the refusal's first sentence;
        or, when the breaker says the request is at fault, the load fails with that sentence."""
        assert self.on_refused is not None
        detail = refusal_detail(refusal, item)
        if not self.breaker.admit():
            raise BatchWriteFailed(self.breaker.sentence(self.table_name, detail), 1)
        self.refused += 1
        self.on_refused(item, detail)
