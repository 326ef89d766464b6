"""The published JSON schema of `plan --json`, kept in step with the code.

Two copies are committed, byte for byte the same: `schemas/plan.schema.json` (the one people
read and link to, and the source of its prose and structure) and `migrator/plan/plan.schema.json`
(shipped in the package: what `plan_schema()` reads when migrator is installed). The parts that
list what the code knows are generated, never written by hand:

- `$defs.kind.enum` and `$defs.address.pattern`: the kinds (`migrator.kinds.KINDS`, one provider each);
- the `reason` examples: every `Reason`, and the drift description: the reasons that repair drift.

`python -m migrator.plan.schema` rewrites both copies from the canonical one; a test fails while
either is out of date.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path
from typing import Any

from migrator.graph import Address
from migrator.plan.model import Reason
from migrator.kinds import KINDS

SCHEMA_FILE = "plan.schema.json"
PACKAGED = Path(__file__).resolve().with_name(SCHEMA_FILE)
CANONICAL = PACKAGED.parent.parent.parent / "schemas" / SCHEMA_FILE
#: the dependency a reason that names one shows in the examples
EXAMPLE_DEPENDENCY = Address("dynamodb_table", "orders")
#: the line width the file is laid out for: shorter objects and arrays stay on one line
WIDTH = 120


def _ticked(codes: list[str]) -> str:
    quoted = [f"`{c}`" for c in codes]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def generated(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with its generated parts (see the module) made from the code."""
    out = copy.deepcopy(schema)
    defs = out["$defs"]
    defs["kind"]["enum"] = list(KINDS)
    defs["address"]["pattern"] = "^(" + "|".join(re.escape(k) for k in KINDS) + r")\.[\s\S]+$"
    defs["resource_change"]["properties"]["reason"]["examples"] = [
        r.code(EXAMPLE_DEPENDENCY if r.names_dependency else None) for r in Reason]
    out["properties"]["drift"]["description"] = (
        "Addresses whose change repairs a difference made outside migrator (reason "
        f"{_ticked([r.value for r in Reason if r.drift])}), in plan order.")
    return out


def _scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list))


def layout(value: Any, indent: int = 0, used: int = 0) -> str:
    """JSON laid out for reading: an object or array on one line when it fits in WIDTH (from column
    `used`), else one member per line; a long array of scalars is filled line by line."""
    flat = json.dumps(value, ensure_ascii=False)
    if _scalar(value) or not value or used + len(flat) <= WIDTH:
        return flat
    pad, end = " " * (indent + 2), "\n" + " " * indent
    if isinstance(value, dict):
        members = []
        for key, item in value.items():
            head = f"{pad}{json.dumps(key, ensure_ascii=False)}: "
            members.append(head + layout(item, indent + 2, len(head)))
        return "{\n" + ",\n".join(members) + end + "}"
    if all(_scalar(v) for v in value):
        lines, line = [], ""
        for item in (json.dumps(v, ensure_ascii=False) for v in value):
            if line and len(pad) + len(line) + len(item) + 2 > WIDTH:
                lines.append(line + ",")
                line = ""
            line = f"{line}, {item}" if line else item
        lines.append(line)
        return "[\n" + "\n".join(pad + ln for ln in lines) + end + "]"
    return "[\n" + ",\n".join(pad + layout(v, indent + 2, len(pad)) for v in value) + end + "]"


def schema_text(schema: dict[str, Any]) -> str:
    """The file's text: the generated schema, laid out, with a final newline."""
    return layout(generated(schema)) + "\n"


def expected_text() -> str:
    """What both committed copies must hold, from the canonical one."""
    return schema_text(json.loads(CANONICAL.read_text(encoding="utf-8")))


def write_schemas() -> list[Path]:
    """Rewrite both copies (needs a source checkout); the paths that changed."""
    if not CANONICAL.is_file():
        raise SystemExit(f"{CANONICAL} not found: regenerate the schemas from a source checkout")
    text, changed = expected_text(), []
    for path in (CANONICAL, PACKAGED):
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def main() -> None:
    changed = write_schemas()
    for path in changed:
        print(f"rewrote {path}")
    if not changed:
        print("the plan schemas are up to date")
    sys.exit(0)


if __name__ == "__main__":
    main()
