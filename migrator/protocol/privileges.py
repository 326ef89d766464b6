"""What a MySQL user may do on a database, read from its `SHOW GRANTS` lines.

The built-in MySQL server answers `grants` with it; the adapter for a third-party server,
which only runs SQL, reads the same lines and must come to the same answer.
"""

from __future__ import annotations

import re

#: what `ALL [PRIVILEGES]` grants on a database.
ALL_PRIVILEGES = frozenset({
    "SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "INDEX", "ALTER", "CREATE VIEW", "SHOW VIEW",
    "CREATE TEMPORARY TABLES", "LOCK TABLES", "EXECUTE", "CREATE ROUTINE", "ALTER ROUTINE", "EVENT", "TRIGGER",
    "REFERENCES", "DELETE HISTORY"})

_GRANT = re.compile(r"^GRANT\s+(?P<privs>.+?)\s+ON\s+(?P<on>\S+)\s+TO\s", re.IGNORECASE)


def effective_privileges(lines: list[str], database: str) -> set[str]:
    """Privileges that apply to `database` from global and database-level grants."""
    targets = {"*.*", f"`{database}`.*", f"{database}.*", f"`{database.replace('_', chr(92) + '_')}`.*"}
    out: set[str] = set()
    for line in lines:
        m = _GRANT.match(line)
        if not m or m.group("on") not in targets:
            continue
        privs = m.group("privs")
        for p in (x.strip().upper() for x in privs.split(",")):
            if p.startswith("ALL"):
                out |= ALL_PRIVILEGES
            else:
                out.add(re.sub(r"\s*\(.*\)$", "", p))
    return out
