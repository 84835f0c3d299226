"""The brain as a service: MCP over WebSocket, streamable HTTP and stdio (one ASGI app)."""
