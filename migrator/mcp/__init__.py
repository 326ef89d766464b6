"""The MCP client layer: configuration, sessions, adapters and the typed facades.

Nothing outside this package knows a tool name or parses a tool result.
"""
