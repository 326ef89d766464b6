"""Writing items to DynamoDB from the Glue job: the rules DynamoDB enforces, the retries it
expects, and counts of everything done.

One concept a module:
- interface: the `Writer` protocol the load uses, item types, counter names, BatchWriteFailed;
- modes:     write modes and the PutItem condition of each (`put_condition`);
- buffer:    forming batches (≤ 25 items, no key twice, the later row of a key wins);
- batch:     BatchWriter, sending batches with retries, UnprocessedItems, conditional puts,
             splitting refused batches;
- parallel:  ParallelWriter, the same batches sent by a pool of BatchWriter threads;
- throttle:  backoff delay (full jitter), SharedBackoff, TokenBucket (write budget);
- refusals:  items DynamoDB refuses: scrubbed detail, key row, RefusalBreaker.

The names below are the package's public interface (`from migrator.runtime.writer import ...`).
"""

from __future__ import annotations

from migrator.runtime.writer.batch import CONDITION_FAILED, RETRYABLE_CODES, THROTTLING_CODES, BatchWriter
from migrator.runtime.writer.buffer import BatchBuffer, table_key_names
from migrator.runtime.writer.interface import MAX_BATCH, STAT_NAMES, BatchWriteFailed, Item, Key, Refused, Writer
from migrator.runtime.writer.modes import WRITE_MODES, Condition, put_condition
from migrator.runtime.writer.parallel import ParallelWriter
from migrator.runtime.writer.refusals import (BREAKER_ITEMS, MAX_DETAIL_CHARS, REFUSED_CODES, RefusalBreaker, key_row,
                                              refusal_detail)
from migrator.runtime.backoff import backoff_delay
from migrator.runtime.writer.throttle import SharedBackoff, TokenBucket

__all__ = [
    "BREAKER_ITEMS", "CONDITION_FAILED", "MAX_BATCH", "MAX_DETAIL_CHARS", "REFUSED_CODES", "RETRYABLE_CODES",
    "STAT_NAMES", "THROTTLING_CODES", "WRITE_MODES", "BatchBuffer", "BatchWriteFailed", "BatchWriter", "Condition",
    "Item", "Key", "ParallelWriter", "RefusalBreaker", "Refused", "SharedBackoff", "TokenBucket", "Writer",
    "backoff_delay", "key_row", "put_condition", "refusal_detail", "table_key_names",
]
