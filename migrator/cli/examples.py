"""The examples at the end of every command's `--help`: the first thing a new user copies.

Keyed by the command's path (`"state show"`); tests parse every example against the command
it belongs to, so an example that names a removed option fails the build, not a user.
"""

from __future__ import annotations

from collections.abc import Mapping

EXAMPLES: Mapping[str, tuple[str, ...]] = {
    "validate": ("migrator validate contract.json", "migrator validate contract.json --json"),
    "plan": ("migrator plan contract.json",
             "migrator plan contract.json --out migration.plan",
             "migrator plan contract.json --markdown > plan.md",
             "migrator plan contract.json -target dynamodb_table.Orders --detailed-exitcode",
             "migrator plan contract.json --no-truncate",
             "migrator plan contract.json --database shop_copy"),
    "apply": ("migrator apply contract.json",
              "migrator apply migration.plan",
              "migrator apply contract.json --auto-approve --json > apply.jsonl",
              "migrator apply contract.json -replace load.Orders --auto-approve"),
    "destroy": ("migrator destroy", "migrator destroy contract.json --auto-approve"),
    "import": ("migrator import dynamodb_table.Orders Orders", "migrator import mysql_view.orders_v orders_v"),
    "force-unlock": ("migrator force-unlock 6f1c2a9e-1d2b-4c3d-9e8f-0a1b2c3d4e5f",),
    "verify": ("migrator verify contract.json", "migrator verify contract.json --sample 5000 --seed audit-1",
               "migrator verify contract.json --full --json"),
    "report": ("migrator report", "migrator report contract.json --html report.html",
               "migrator report --markdown > report.md"),
    "doctor": ("migrator doctor", "migrator doctor contract.json",
               "migrator doctor --mcp-config .vscode/mcp.json --json"),
    "state list": ("migrator state list", "migrator state list --json"),
    "state show": ("migrator state show dynamodb_table.Orders", "migrator state show load.Orders"),
    "state rm": ("migrator state rm check.Orders",),
    "sandbox up": ("migrator sandbox up", "migrator sandbox up --database shop"),
    "sandbox down": ("migrator sandbox down",),
    "sandbox status": ("migrator sandbox status", "migrator sandbox status --json"),
    "sandbox env": ('eval "$(migrator sandbox env)"', "migrator sandbox env --json"),
    "sandbox load": ("migrator sandbox load dump.sql", "migrator sandbox load schema.sql --database shop"),
    "mcp serve": ("migrator mcp serve mysql", "migrator mcp serve glue"),
}


def epilog(command: str) -> str:
    """The examples as a `--help` epilog (blank lines: Typer's rich help joins single newlines)."""
    lines = EXAMPLES.get(command, ())
    return "[bold]Examples[/bold]\n\n" + "\n\n".join(f"  $ {line}" for line in lines) if lines else ""
