"""A test-only switch that makes a load job die part way, as a crashed Glue job does.

    MIGRATOR_FAULT_EXIT_AFTER_ROWS="<target table>:<rows>:<marker file>"

After `rows` rows of that table's load (their items flushed), the job prints one error line
and exits at once with status 1: no result object, no cleanup. It fires once (the marker
file records it), so the next run of the job loads normally. Unset, nothing changes.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional

ENV = "MIGRATOR_FAULT_EXIT_AFTER_ROWS"


def exit_after_rows(rows: Iterable[Mapping[str, Any]], table: str, flush: Callable[[], None],
                    environ: Optional[Mapping[str, str]] = None) -> Iterator[Mapping[str, Any]]:
    """`rows`, or `rows` cut short by the fault when it is armed for `table`."""
    spec = (os.environ if environ is None else environ).get(ENV, "")
    parts = spec.split(":", 2)
    if len(parts) != 3 or parts[0] != table or os.path.exists(parts[2]):
        yield from rows
        return
    limit, marker = int(parts[1]), parts[2]
    for count, row in enumerate(rows, 1):
        yield row
        if count >= limit:
            flush()
            with open(marker, "x") as fh:
                fh.write(f"{table} {count}\n")
            print(f"RuntimeError: injected fault: the load of {table} stops after {count} rows", file=sys.stderr,
                  flush=True)
            os._exit(1)
    return
