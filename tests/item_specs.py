"""Item specs for tests that drive the runtime directly: built through the runtime's own
constructor (runtime.spec.ItemSpec.of), so a test cannot hand the job a spec the plan could not."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from migrator.runtime.spec import AttributeSpec, ItemSpec
from migrator.runtime.verify import Source


def item_spec(view: str, table: str, attributes: Sequence[Mapping[str, Any]], keys: Sequence[str] | None = None,
              write_mode: str | None = None, version_column: str | None = None) -> ItemSpec:
    """`attributes` as {"name", "type", "key"?, "encoding"?}; the keys default to those marked "key"."""
    keys = list(keys) if keys is not None else [a["name"] for a in attributes if a.get("key")]
    return ItemSpec.of(view, table, [AttributeSpec(a["name"], a["type"], encoding=a.get("encoding"))
                                     for a in attributes], keys, write_mode, version_column)


def spec_json(view: str, table: str, attributes: Sequence[Mapping[str, Any]], keys: Sequence[str] | None = None,
              write_mode: str | None = None, version_column: str | None = None) -> str:
    """The `--item_spec` argument of a load job."""
    return item_spec(view, table, attributes, keys, write_mode, version_column).to_json()


def sources_json(*sources: tuple[ItemSpec, str | None]) -> str:
    """The `--sources` argument of a verify job: (spec, rejects_prefix) per view."""
    return json.dumps([Source(spec, prefix).to_doc() for spec, prefix in sources])
