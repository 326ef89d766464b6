"""DynamoDB item -> Python values, for comparing items (the checks, verify) and keying them (the writer).

Why apart from the encoding (items.py): reading an item back is what every comparison does,
with one rule the encoding never needs — values DynamoDB treats as equal compare equal (N 1.0
== 1; B as raw bytes or as the base64 text boto3 returns).

Python 3.9 (the Glue job), nothing from migrator outside `migrator.runtime`.
"""

from __future__ import annotations

import base64
import binascii
from decimal import Decimal
from typing import Any, Dict, Iterable, Mapping, Tuple

_BYTES = (bytes, bytearray, memoryview)


def python_value(av: Mapping[str, Any]) -> Any:
    """DynamoDB JSON -> Python for comparisons: N -> Decimal, B -> bytes (raw or base64 text),
    sets -> set, M -> dict, L -> list, NULL -> None."""
    if len(av) != 1:
        raise ValueError(f"an attribute value has exactly one type key, got {sorted(av)}")
    (kind, v), = av.items()
    if kind == "S":
        return v
    if kind == "N":
        return Decimal(v)
    if kind == "B":
        return _binary(v)
    if kind == "BOOL":
        return bool(v)
    if kind == "NULL":
        return None
    if kind == "M":
        return {k: python_value(e) for k, e in v.items()}
    if kind == "L":
        return [python_value(e) for e in v]
    if kind == "SS":
        return set(v)
    if kind == "NS":
        return {Decimal(e) for e in v}
    if kind == "BS":
        return {_binary(e) for e in v}
    raise ValueError(f"unknown attribute value type {kind!r}")


def _binary(v: Any) -> bytes:
    if isinstance(v, _BYTES):
        return bytes(v)
    try:
        return base64.b64decode(v, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise ValueError("a B value must be bytes or base64 text") from None


def item_python(item: Mapping[str, Mapping[str, Any]]) -> Dict[str, Any]:
    return {name: python_value(av) for name, av in item.items()}


def item_key(item: Mapping[str, Mapping[str, Any]], key_names: Iterable[str]) -> Tuple[Any, ...]:
    """The item's primary key as a hashable tuple; equal for keys DynamoDB treats as equal (N 1.0 == 1)."""
    out = []
    for name in key_names:
        if name not in item:
            raise KeyError(f"the item has no key attribute {name!r}")
        out.append(python_value(item[name]))
    return tuple(out)
