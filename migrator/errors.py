"""The one exception type a user sees.

Every failure that reaches the CLI is a `MigratorError`: one sentence that says what
failed, where (JSON path, address, server) and what to do. Anything else is a bug.
"""

from __future__ import annotations


class MigratorError(Exception):
    """A failure the user can act on; `str()` is the sentence shown to them."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message.rstrip(".")
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}: {self.hint.rstrip('.')}."
        return f"{self.message}."


class ConfigError(MigratorError):
    """A configuration file (mcp.json, sandbox) is missing or malformed."""
