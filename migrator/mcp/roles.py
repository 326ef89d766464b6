"""Temporary: `Facades` moved to migrator.mcp.facades; this module goes once its importers use that."""

from migrator.mcp.facades import Facades

__all__ = ["Facades"]
