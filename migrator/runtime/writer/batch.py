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
- counts what it did, botocore's own silent retries included (`stats()`);
- optionally spends a write budget (`limiter`, a TokenBucket that several writers may share)
  before every request, re-sends included;
- optionally shares its backoff (`backoff`, a SharedBackoff): a delay one writer takes after
  throttling holds back the next request of every writer sharing it, so threads that were not
  throttled yet do not keep the table under pressure while the throttled one waits;
- asks for ReturnConsumedCapacity and sums the write units DynamoDB says it spent;
- optionally writes under a condition (`condition`, see `put_condition`): BatchWriteItem takes
  no condition, so each item of a batch is then one conditional PutItem, with the same retries;
  an item the condition refuses is *skipped* (counted, left as it was), not failed;
- isolates the items DynamoDB refuses (`on_refused`): a ValidationException refuses the whole
  request for one bad item, so a refused batch is split in halves, recursively, until each refused
  item is alone; the others are written, each refused item is handed to `on_refused` (the load
  counts and logs it as a rejected row, reason `item_refused`) and counted `refused`. At most
  2n - 1 requests for n items, each through the same budget and retries. Without `on_refused`
  a refusal fails the batch as before: nobody would account for the item;
- stops isolating when the refusals are about the request, not the items (`RefusalBreaker`): once
  DynamoDB refused BREAKER_ITEMS items before writing or skipping any (a wrong key schema refuses
  every item), the next refusal fails the load with DynamoDB's sentence, scrubbed, instead of
  rejecting every row at up to 2n - 1 requests a batch.

Write modes (`put_condition`):
- overwrite: a later row of a key replaces the item (BatchWriteItem);
- insert_only: `attribute_not_exists(<partition key>)`, existing items are never touched (and
  of two rows with one key, the first wins);
- version_guarded: the item is written if it does not exist or its version attribute is lower
  than the row's (`attribute_not_exists(pk) OR version < :row_version`); equal or higher
  versions are skipped, so re-running an older extract never rolls an item back.

`ParallelWriter` sends the same batches from a bounded pool of threads (see its docstring
for why a key's later row still wins).
"""

from __future__ import annotations

import collections
import random
import re
import threading
import time
from decimal import Decimal
from typing import Any, Callable, Deque, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from migrator.runtime.aws_errors import THROTTLED, UNAVAILABLE, codes_meaning, error_code
from migrator.runtime.items import item_key, python_value

MAX_BATCH = 25
RETRYABLE_CODES = codes_meaning(THROTTLED, UNAVAILABLE)
THROTTLING_CODES = codes_meaning(THROTTLED)
CONDITION_FAILED = "ConditionalCheckFailedException"
# DynamoDB refused what the request carries (an item's content), not the caller, table or rate:
# the one code the writer answers by isolating the refused items instead of failing.
REFUSED_CODES = frozenset({"ValidationException"})
MAX_DETAIL_CHARS = 200
# refused items, none written before them, after which a refusal is taken to be the request's fault
BREAKER_ITEMS = 100
WRITE_MODES = ("overwrite", "insert_only", "version_guarded")

Item = Dict[str, Dict[str, Any]]
Key = Tuple[Any, ...]
Condition = Callable[[Item], Dict[str, Any]]
Refused = Callable[[Item, str], None]
STAT_NAMES = ("written", "skipped", "refused", "batches", "puts", "retries", "throttles", "unprocessed", "duplicate_flushes",
              "sdk_retries", "consumed_wcu")


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


def put_condition(mode: str, key_names: Sequence[str], version_column: Optional[str] = None) -> Optional[Condition]:
    """The PutItem condition arguments of one item in `mode`; None for overwrite (no condition)."""
    if mode not in WRITE_MODES:
        raise ValueError(f"write mode must be one of {', '.join(WRITE_MODES)}, got {mode!r}")
    if mode == "overwrite":
        return None
    names = {"#pk": key_names[0]}
    if mode == "insert_only":
        return lambda item: {"ConditionExpression": "attribute_not_exists(#pk)", "ExpressionAttributeNames": names}
    if not version_column:
        raise ValueError("write mode version_guarded needs a version column")
    guarded = {**names, "#version": version_column}

    def newer(item: Item) -> Dict[str, Any]:
        if version_column not in item:
            raise ValueError(f"the item has no {version_column!r} (its version) to compare")
        return {"ConditionExpression": "attribute_not_exists(#pk) OR #version < :version",
                "ExpressionAttributeNames": guarded, "ExpressionAttributeValues": {":version": item[version_column]}}
    return newer


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


def _texts(av: Any) -> List[str]:
    """Every scalar of an attribute value as text (S, N, set members, nested M/L), to scrub."""
    if isinstance(av, str):
        return [av]
    if isinstance(av, Mapping):
        return [t for v in av.values() for t in _texts(v)]
    if isinstance(av, (list, tuple)):
        return [t for v in av for t in _texts(v)]
    return []


def refusal_detail(exc: BaseException, item: Optional[Item] = None) -> str:
    """The first sentence of DynamoDB's refusal, without values: quoted text and every text of
    `item` that shows as a whole word are replaced by '…' (rows may hold personal data)."""
    response: Any = getattr(exc, "response", None)
    message = response.get("Error", {}).get("Message") if isinstance(response, Mapping) else None
    text = " ".join(str(message or exc).split())
    text = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", text)
    for value in sorted(set(_texts(item or {})), key=len, reverse=True):
        if value and value in text:
            text = re.sub(r"(?<!\w)" + re.escape(value) + r"(?!\w)", "…", text)
    if len(text) > MAX_DETAIL_CHARS:
        text = text[:MAX_DETAIL_CHARS] + "…"
    return text or "DynamoDB refused the item"


def key_row(item: Item, key_names: Sequence[str]) -> Dict[str, Any]:
    """The key attributes of an item as plain values (N -> int when whole, B -> bytes), as a
    row's key columns are shown in the rejects log."""
    row: Dict[str, Any] = {}
    for name in key_names:
        av = item.get(name)
        try:
            value = python_value(av) if isinstance(av, Mapping) else None
        except ValueError:
            value = None
        if isinstance(value, Decimal) and value == value.to_integral_value():
            value = int(value)
        row[name] = value
    return row


class RefusalBreaker:
    """Whether refusals still look like the items' fault; shared by the threads of one writer.

    Why: isolating a refused item costs up to 2n - 1 requests per batch, worth it for a few bad
    rows, ruinous when DynamoDB refuses every item for the request's sake (a table whose key
    schema is not the one the items carry). Once any item was written or skipped, the request is
    fine and every later refusal is an item's; until then, `limit` refusals are admitted and the
    next one trips the breaker (no more rows are counted refused)."""

    def __init__(self, limit: int = BREAKER_ITEMS) -> None:
        if limit < 1:
            raise ValueError("the breaker's limit must be at least 1")
        self.limit = limit
        self.refused = 0
        self.accepted = False
        self._lock = threading.Lock()

    def accept(self) -> None:
        """An item was written or skipped: DynamoDB takes the request as it is."""
        self.accepted = True   # one-way; a plain store is atomic

    def admit(self) -> bool:
        """Count one refusal; False when it is one too many with nothing accepted."""
        with self._lock:
            if not self.accepted and self.refused >= self.limit:
                return False
            self.refused += 1
            return True

    def sentence(self, table: str, detail: str) -> str:
        return (f"DynamoDB refused each of the first {self.limit} items sent to {table} and accepted none, so the "
                f"load stopped (the request itself is likely at fault, e.g. a table key schema other than the "
                f"contract's): {detail}")


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
                 batch_size: int = MAX_BATCH, limiter: Optional[TokenBucket] = None,
                 backoff: Optional[SharedBackoff] = None, condition: Optional[Condition] = None,
                 on_refused: Optional[Refused] = None, breaker: Optional[RefusalBreaker] = None) -> None:
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
        self.limiter = limiter
        self.backoff = backoff
        self.condition = condition
        self.on_refused = on_refused
        self.breaker = breaker if breaker is not None else RefusalBreaker()
        self._buffer: List[Item] = []
        self._keys: Set[Key] = set()
        self._closed = False
        self.written = 0        # items DynamoDB acknowledged
        self.skipped = 0        # items the write condition refused: left as they were, on purpose
        self.refused = 0        # items DynamoDB refused (ValidationException), handed to on_refused
        self.batches = 0        # BatchWriteItem requests sent (re-sends included)
        self.puts = 0           # conditional PutItem requests sent (re-sends included)
        self.retries = 0        # re-sends: for unprocessed items or after a retryable error
        self.throttles = 0      # requests answered with a throttling error or with unprocessed items
        self.unprocessed = 0    # items DynamoDB handed back as UnprocessedItems (summed over requests)
        self.duplicate_flushes = 0  # early flushes because a key was already in the buffer
        self.sdk_retries = 0    # attempts botocore repeated inside one request (its own backoff), summed
        self.consumed_wcu = 0.0  # write capacity units DynamoDB reported (ReturnConsumedCapacity)

    # -- public

    def put(self, item: Item) -> None:
        if self._closed:
            raise RuntimeError("BatchWriter is closed")
        if self.key_names is None:
            self.key_names = table_key_names(self.client, self.table_name)
        key = item_key(item, self.key_names)
        if key in self._keys:
            self.duplicate_flushes += 1
            self._flush_buffer()
        self._buffer.append(item)
        self._keys.add(key)
        if len(self._buffer) >= self.batch_size:
            self._flush_buffer()

    def flush(self) -> None:
        """Send what is buffered and return once it is written; on failure the buffer is
        dropped and counted as unwritten."""
        self._flush_buffer()

    def _flush_buffer(self) -> None:
        batch, keys = self._buffer, self._keys
        self._buffer, self._keys = [], set()
        if batch:
            self._dispatch(batch, keys)

    def _dispatch(self, batch: List[Item], keys: Set[Key]) -> None:
        """Hand over one batch (no two items with the same key); here: send it now."""
        self._send(batch)

    def _send(self, items: List[Item]) -> None:
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

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

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


class TokenBucket:
    """A write budget in items per second, safe to share between threads.

    `acquire(n)` reserves n items and sleeps until the budget has paid for them: the reservation
    is made under a lock (so concurrent callers are served one after another) and the sleep is
    outside it. Tokens may go negative, so a request larger than the burst still gets through;
    hence, from any start, at most `burst + rate * elapsed` items have been let through.
    """

    def __init__(self, rate: float, burst: Optional[float] = None, *,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        if not rate > 0:
            raise ValueError("the write rate must be a positive number of items per second")
        self.rate = float(rate)
        self.burst = float(burst) if burst is not None else min(self.rate, float(MAX_BATCH))
        self.clock = clock
        self.sleep = sleep
        self._tokens = self.burst
        self._last = clock()
        self._lock = threading.Lock()
        self.waited = 0.0   # seconds callers were told to wait, summed

    def acquire(self, items: int) -> float:
        """Reserve `items`; returns (and sleeps) the wait that pays for them."""
        with self._lock:
            now = self.clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= items
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
            self.waited += wait
        if wait > 0:
            self.sleep(wait)
        return wait


class SharedBackoff:
    """The time before which writers sharing it should not send: the latest end of a backoff
    delay any of them took. Thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._until = 0.0
        self._lock = threading.Lock()

    def defer(self, delay: float) -> None:
        with self._lock:
            self._until = max(self._until, self.clock() + delay)

    def remaining(self) -> float:
        with self._lock:
            return max(0.0, self._until - self.clock())


class ParallelWriter(BatchWriter):
    """BatchWriter whose batches are sent by `writers` threads, with the same guarantees.

    The caller's thread forms exactly the batches a BatchWriter forms (≤ 25 items, a duplicate
    key flushes first), so the requests are the same whatever the thread count; only their
    sending overlaps. Each thread owns a BatchWriter used only to send (its retries, backoff and
    counters are its own; `stats()` sums them, and a shared `limiter` spends one budget).
    The threads share one SharedBackoff: when one is throttled and backs off, the others'
    next requests wait out the same delay (a retry is still counted once, by its thread).

    Why the later row of a key still wins: a batch is *pending* from its hand-over until the
    thread sending it has its final answer (re-sends of unprocessed items included). A batch
    is handed over only when none of its keys is in a pending batch, otherwise the caller waits.
    Batches are formed in row order and two rows with one key never share a batch, so every
    request carrying the later row starts after DynamoDB acknowledged the earlier one.

    Memory is bounded: at most `max_pending` batches (default 2 x writers) are queued or in
    flight; `put` blocks beyond that, so the source is never read far ahead.

    `on_refused` is called from the sending threads: it must be thread-safe.

    A failed batch stops the load: queued batches are dropped, the batches in flight finish,
    and the next call (`put`, `flush`, `close`) raises BatchWriteFailed with the first failure's
    sentence and how many items were not written in all. `written` counts acknowledgements only.
    """

    def __init__(self, client: Any, table_name: str, *, writers: int = 8, max_pending: Optional[int] = None,
                 key_names: Optional[Sequence[str]] = None, max_attempts: int = 8, base_delay: float = 0.05,
                 max_delay: float = 5.0, sleep: Callable[[float], None] = time.sleep,
                 rng: Optional[random.Random] = None, batch_size: int = MAX_BATCH,
                 limiter: Optional[TokenBucket] = None, condition: Optional[Condition] = None,
                 on_refused: Optional[Refused] = None, breaker: Optional[RefusalBreaker] = None) -> None:
        if writers < 1:
            raise ValueError("writers must be at least 1")
        super().__init__(client, table_name, key_names=key_names, max_attempts=max_attempts, base_delay=base_delay,
                         max_delay=max_delay, sleep=sleep, rng=rng, batch_size=batch_size, limiter=limiter,
                         condition=condition, on_refused=on_refused, breaker=breaker)
        self.writers = writers
        self.max_pending = max_pending if max_pending is not None else 2 * writers
        if self.max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        seeds = random.Random(self.rng.random())
        self.shared_backoff = SharedBackoff()
        self._senders = [BatchWriter(client, table_name, key_names=key_names, max_attempts=max_attempts,
                                     base_delay=base_delay, max_delay=max_delay, sleep=sleep,
                                     rng=random.Random(seeds.random()), batch_size=batch_size, limiter=limiter,
                                     backoff=self.shared_backoff, condition=condition, on_refused=on_refused,
                                     breaker=self.breaker)   # one breaker: the first items of all threads
                         for _ in range(writers)]
        self._cond = threading.Condition()
        self._queue: Deque[Tuple[List[Item], Set[Key]]] = collections.deque()
        self._pending: Set[Key] = set()        # keys of the queued and in-flight batches
        self._in_flight = 0
        self._stopping = False
        self._errors: List[BaseException] = []
        self._offered = 0                       # items given to put()
        self._threads = [threading.Thread(target=self._work, args=(sender,), name=f"batch-writer-{n}", daemon=True)
                         for n, sender in enumerate(self._senders, 1)]
        for thread in self._threads:
            thread.start()

    # -- the caller's side

    def put(self, item: Item) -> None:
        self._offered += 1
        super().put(item)

    def _dispatch(self, batch: List[Item], keys: Set[Key]) -> None:
        with self._cond:
            while not self._errors and not self._stopping and (
                    len(self._queue) + self._in_flight >= self.max_pending or not self._pending.isdisjoint(keys)):
                self._cond.wait()
            if self._errors or self._stopping:
                self._raise_locked()
            self._pending.update(keys)
            self._queue.append((batch, keys))
            self._cond.notify_all()

    def flush(self) -> None:
        """Hand over the buffer and wait until every pending batch is written (or one failed)."""
        self._flush_buffer()
        with self._cond:
            while not self._errors and (self._queue or self._in_flight):
                self._cond.wait()
            if self._errors:
                self._raise_locked()

    def close(self) -> None:
        if self._closed:
            return
        try:
            self.flush()
        except BaseException:
            self.abort()
            raise
        self._closed = True
        self._stop(drop=False)

    def abort(self) -> None:
        """Drop the buffer and the queued batches, let the ones in flight finish, stop the threads."""
        self._closed = True
        self._buffer, self._keys = [], set()
        self._stop(drop=True)

    def _stop(self, drop: bool) -> None:
        with self._cond:
            if drop:
                self._drop_queue_locked()
            self._stopping = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join()

    def _drop_queue_locked(self) -> None:
        for _batch, keys in self._queue:
            self._pending.difference_update(keys)
        self._queue.clear()

    def _raise_locked(self) -> None:
        """Raise once the batches in flight are answered: then every item given to put() is
        either written or not, for good, and the count below is final."""
        while self._in_flight:
            self._cond.wait()
        lost = self._offered - self.written - self.skipped - self.refused
        if not self._errors:
            raise BatchWriteFailed(f"the writer of {self.table_name} was stopped; {lost} item(s) not written", lost)
        first = self._errors[0]
        text = " ".join(str(first).split()) or type(first).__name__
        if not isinstance(first, BatchWriteFailed):
            text = f"a writer thread failed: {type(first).__name__}: {text}"
        raise BatchWriteFailed(f"{text}; the load stopped with {lost} item(s) not written in all", lost) from first

    # -- the writer threads

    def _work(self, sender: BatchWriter) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping and not self._errors:
                    self._cond.wait()
                if self._errors or not self._queue:
                    return
                batch, keys = self._queue.popleft()
                self._in_flight += 1
            failure: Optional[BaseException] = None
            try:
                sender._send(batch)
            except BaseException as exc:  # reported to the caller's thread, which raises it
                failure = exc
            with self._cond:
                self._in_flight -= 1
                self._pending.difference_update(keys)
                if failure is not None:
                    self._errors.append(failure)
                    self._drop_queue_locked()
                self._cond.notify_all()

    # -- counts

    def stats(self) -> Dict[str, float]:
        totals: Dict[str, float] = dict.fromkeys(STAT_NAMES, 0)
        for sender in self._senders:
            for name, value in sender.stats().items():
                totals[name] += value
        totals["duplicate_flushes"] += self.duplicate_flushes   # counted where batches are formed
        totals["consumed_wcu"] = round(totals["consumed_wcu"], 1)
        return totals

    @property
    def written(self) -> int:
        """Items acknowledged so far, summed over the threads."""
        return sum(sender.written for sender in getattr(self, "_senders", ()))

    @written.setter
    def written(self, value: int) -> None:
        """BatchWriter.__init__ sets its own counter; here the sending threads count."""

    @property
    def skipped(self) -> int:
        """Items the condition refused so far, summed over the threads."""
        return sum(sender.skipped for sender in getattr(self, "_senders", ()))

    @skipped.setter
    def skipped(self, value: int) -> None:
        """As `written`: the sending threads count."""

    @property
    def refused(self) -> int:
        """Items DynamoDB refused so far, summed over the threads."""
        return sum(sender.refused for sender in getattr(self, "_senders", ()))

    @refused.setter
    def refused(self, value: int) -> None:
        """As `written`: the sending threads count."""
