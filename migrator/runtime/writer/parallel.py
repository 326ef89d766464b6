"""ParallelWriter: the batches a BatchWriter would send, sent by a bounded pool of threads.

Why composition: the caller's thread forms the batches with the same BatchBuffer a BatchWriter
uses, and each thread owns a BatchWriter used only to `send`; this class adds the queue, the
ordering of keys between threads and the summed counts, and is a Writer like BatchWriter.
"""

from __future__ import annotations

import collections
import random
import threading
import time
from typing import Any, Callable, Deque, Dict, List, Optional, Sequence, Set, Tuple

from migrator.runtime.writer.batch import BatchWriter
from migrator.runtime.writer.buffer import BatchBuffer
from migrator.runtime.writer.interface import (MAX_BATCH, STAT_NAMES, BatchWriteFailed, ClosesOnExit, Item, Key,
                                              Refused)
from migrator.runtime.writer.modes import Condition
from migrator.runtime.writer.refusals import RefusalBreaker
from migrator.runtime.writer.throttle import SharedBackoff, TokenBucket


class ParallelWriter(ClosesOnExit):
    """A Writer whose batches are sent by `writers` threads, with a BatchWriter's guarantees.

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
        self.table_name = table_name
        self.writers = writers
        self.limiter = limiter   # one budget, spent by every thread
        self.breaker = breaker if breaker is not None else RefusalBreaker()   # one: the first items of all threads
        self.shared_backoff = SharedBackoff()
        seeds = random.Random((rng if rng is not None else random.Random()).random())
        self._senders = [BatchWriter(client, table_name, key_names=key_names, max_attempts=max_attempts,
                                     base_delay=base_delay, max_delay=max_delay, sleep=sleep,
                                     rng=random.Random(seeds.random()), batch_size=batch_size, limiter=limiter,
                                     backoff=self.shared_backoff, condition=condition, on_refused=on_refused,
                                     breaker=self.breaker)
                         for _ in range(writers)]   # the first one checks batch_size and max_attempts
        self.max_pending = max_pending if max_pending is not None else 2 * writers
        if self.max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        self._buffer = BatchBuffer(client, table_name, key_names, batch_size, self._hand_over)
        self._closed = False
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

    @property
    def key_names(self) -> Optional[List[str]]:
        """The table's key attributes, partition key first; None until the first put reads them."""
        return self._buffer.key_names

    # -- the caller's side

    def put(self, item: Item) -> None:
        self._offered += 1
        if self._closed:
            raise RuntimeError("BatchWriter is closed")
        self._buffer.add(item)

    def _hand_over(self, batch: List[Item], keys: Set[Key]) -> None:
        """Queue a batch the buffer formed, once none of its keys is pending and there is room."""
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
        self._buffer.flush()
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
        self._buffer.drop()
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
                sender.send(batch)
            except BaseException as exc:  # reported to the caller's thread, which raises it
                failure = exc
            with self._cond:
                self._in_flight -= 1
                self._pending.difference_update(keys)
                if failure is not None:
                    self._errors.append(failure)
                    self._drop_queue_locked()
                self._cond.notify_all()

    # -- counts, summed over the threads

    def stats(self) -> Dict[str, float]:
        totals: Dict[str, float] = dict.fromkeys(STAT_NAMES, 0)
        for sender in self._senders:
            for name, value in sender.stats().items():
                totals[name] += value
        totals["duplicate_flushes"] += self._buffer.duplicate_flushes   # counted where batches are formed
        totals["consumed_wcu"] = round(totals["consumed_wcu"], 1)
        return totals

    @property
    def written(self) -> int:
        """Items acknowledged so far."""
        return sum(sender.written for sender in self._senders)

    @property
    def skipped(self) -> int:
        """Items the condition refused so far."""
        return sum(sender.skipped for sender in self._senders)

    @property
    def refused(self) -> int:
        """Items DynamoDB refused so far."""
        return sum(sender.refused for sender in self._senders)
