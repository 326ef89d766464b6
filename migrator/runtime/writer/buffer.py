"""Forming batches: the items put but not yet handed over, grouped as DynamoDB accepts them.

Why apart from sending: a BatchWriter sends each batch itself and a ParallelWriter queues it
for its threads, and both must form exactly the same batches, so that the requests are the same
whatever the thread count:
- at most `batch_size` items (≤ 25, DynamoDB's limit);
- never two items with the same key (DynamoDB refuses the whole request): an item whose key is
  already buffered hands the buffer over first, so the later row wins, as it would with
  sequential PutItem calls.
"""

from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence, Set

from migrator.runtime.decode import item_key
from migrator.runtime.writer.interface import Item, Key

HandOver = Callable[[List[Item], Set[Key]], None]


def table_key_names(client: Any, table_name: str) -> List[str]:
    """Partition key first, then the sort key, from DescribeTable."""
    schema = client.describe_table(TableName=table_name)["Table"]["KeySchema"]
    order = {"HASH": 0, "RANGE": 1}
    return [k["AttributeName"] for k in sorted(schema, key=lambda k: order[k["KeyType"]])]


class BatchBuffer:
    """Buffers items in put order and hands each full batch to `hand_over(batch, keys)`.

    A batch is taken out of the buffer before it is handed over: if `hand_over` raises, the
    batch is gone (the writer counts it unwritten) and the buffer starts empty."""

    def __init__(self, client: Any, table_name: str, key_names: Optional[Sequence[str]], batch_size: int,
                 hand_over: HandOver) -> None:
        self.client = client
        self.table_name = table_name
        self.key_names = list(key_names) if key_names is not None else None  # None: DescribeTable on first add
        self.batch_size = batch_size
        self.hand_over = hand_over
        self.duplicate_flushes = 0  # early hand-overs because a key was already in the buffer
        self._items: List[Item] = []
        self._keys: Set[Key] = set()

    def add(self, item: Item) -> None:
        if self.key_names is None:
            self.key_names = table_key_names(self.client, self.table_name)
        key = item_key(item, self.key_names)
        if key in self._keys:
            self.duplicate_flushes += 1
            self.flush()
        self._items.append(item)
        self._keys.add(key)
        if len(self._items) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Hand over what is buffered, if anything."""
        batch, keys = self._items, self._keys
        self._items, self._keys = [], set()
        if batch:
            self.hand_over(batch, keys)

    def drop(self) -> None:
        """Forget what is buffered (the load stopped)."""
        self._items, self._keys = [], set()
