"""What the load sees of a writer: the `Writer` protocol, the item types, the counter names and
BatchWriteFailed.

Why a protocol: a BatchWriter sends from the caller's thread, a ParallelWriter hands the same
batches to a pool of BatchWriters; the load only puts items, flushes, closes or aborts and reads
the counts, so it needs neither class, only this shape.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Protocol, Tuple, TypeVar

MAX_BATCH = 25   # items per BatchWriteItem request: DynamoDB's limit (moto accepts more, AWS does not)

Item = Dict[str, Dict[str, Any]]
Key = Tuple[Any, ...]
Refused = Callable[[Item, str], None]
STAT_NAMES = ("written", "skipped", "refused", "batches", "puts", "retries", "throttles", "unprocessed", "duplicate_flushes",
              "sdk_retries", "consumed_wcu")


class BatchWriteFailed(RuntimeError):
    """Items could not be written; `unwritten` counts them (buffered ones included)."""

    def __init__(self, message: str, unwritten: int) -> None:
        super().__init__(message)
        self.unwritten = unwritten


W = TypeVar("W", bound="ClosesOnExit")


class ClosesOnExit:
    """`with writer:` closes it (everything buffered is sent) when the block ends, and aborts it
    when the block raises: one definition for both writers."""

    def close(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        raise NotImplementedError

    def __enter__(self: W) -> W:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class Writer(Protocol):
    """Buffered writes of items to one table, with counts (BatchWriter, ParallelWriter).

    `written`: items DynamoDB acknowledged; `skipped`: items the write condition left as they
    were; `refused`: items DynamoDB refused, handed to `on_refused`. `stats()` has every counter
    of STAT_NAMES. After a failure, `abort()` then the counts are final."""

    @property
    def written(self) -> int: ...

    @property
    def skipped(self) -> int: ...

    @property
    def refused(self) -> int: ...

    def put(self, item: Item) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...

    def stats(self) -> Dict[str, float]: ...
