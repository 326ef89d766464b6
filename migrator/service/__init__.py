"""The service layer: what every command does, apart from how the CLI parses and renders it.

`session` (one run against the MCP servers), `files` (what needs no server), `verify`,
`doctor`, `servers` (which servers, which MySQL account), `errors`.
"""
