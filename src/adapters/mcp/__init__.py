"""The MCP transport: the low-level server, its tools and the upstream call path."""
