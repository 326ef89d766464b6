"""Attribute-level differences between what is and what the contract wants (deepdiff)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from deepdiff import DeepDiff

from migrator.plan.model import AttributeChange

_ROOT = re.compile(r"^root")
_KEY = re.compile(r"\['([^']*)'\]")


def _path(deep_path: str) -> str:
    path = _KEY.sub(lambda m: "." + m.group(1), _ROOT.sub("", deep_path))
    return path.lstrip(".")


def attribute_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> tuple[AttributeChange, ...]:
    """Each changed leaf (or added/removed branch) with its before and after, sorted by path."""
    diff = DeepDiff(dict(before or {}), dict(after or {}), ignore_order=False, verbose_level=2, view="tree")
    out: list[AttributeChange] = []
    for kind, items in diff.items():
        for item in items:
            b = None if kind.endswith("_added") else item.t1
            a = None if kind.endswith("_removed") else item.t2
            out.append(AttributeChange(_path(item.path()), _plain(b), _plain(a)))
    return tuple(sorted(out, key=lambda c: c.path))


def _plain(value: Any) -> Any:
    from deepdiff.helper import NotPresent

    return None if isinstance(value, NotPresent) else value
