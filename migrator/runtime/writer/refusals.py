"""Items DynamoDB refuses: the refusal's sentence without values, the key to log, and the
breaker that tells an item's fault from the request's.

Why isolate: a ValidationException refuses the whole request for one bad item, so the writer
splits a refused batch until each refused item is alone and hands it over (the load counts it
as a rejected row, reason `item_refused`). Why a breaker: when every item is refused for the
request's sake (a wrong key schema), isolating would reject every row at up to 2n - 1
requests a batch; once BREAKER_ITEMS items were refused before any was written or skipped,
the next refusal fails the load with DynamoDB's sentence, scrubbed.
"""

from __future__ import annotations

import re
import threading
from decimal import Decimal
from typing import Any, Dict, List, Mapping, Optional, Sequence

from migrator.runtime.decode import python_value
from migrator.runtime.writer.interface import Item

# DynamoDB refused what the request carries (an item's content), not the caller, table or rate:
# the one code the writer answers by isolating the refused items instead of failing.
REFUSED_CODES = frozenset({"ValidationException"})
MAX_DETAIL_CHARS = 200
# refused items, none written before them, after which a refusal is taken to be the request's fault
BREAKER_ITEMS = 100


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
