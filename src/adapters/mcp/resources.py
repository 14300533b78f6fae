"""Full report results kept as MCP resources (`ozon-mcp://reports/<id>.csv`), so that a tool
answer cut to OZON_MCP_MAX_RESPONSE_BYTES loses nothing: the client reads the rest with
`resources/read`.

Kept in memory while the server runs, bounded in count and in bytes (the oldest go first).
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass

from mcp import MCPError, types

URI_PREFIX = "ozon-mcp://reports/"
RESOURCE_NOT_FOUND = -32002  # the code MCP's spec gives for an unknown resource
DEFAULT_MAX_RESOURCES = 20
DEFAULT_MAX_RESOURCE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class StoredReport:
    """One kept report: where to read it, what it is, and its text."""

    uri: str
    name: str
    description: str
    mime_type: str
    text: str

    @property
    def size(self) -> int:
        return len(self.text.encode("utf-8"))

    def as_resource(self) -> types.Resource:
        return types.Resource(
            uri=self.uri,
            name=self.name,
            description=self.description,
            mime_type=self.mime_type,
            size=self.size,
        )

    def as_link(self) -> types.ResourceLink:
        return types.ResourceLink(
            uri=self.uri,
            name=self.name,
            description=self.description,
            mime_type=self.mime_type,
            size=self.size,
        )


class ReportResources:
    """The kept reports of one server process (owned by the container)."""

    def __init__(
        self,
        max_count: int = DEFAULT_MAX_RESOURCES,
        max_bytes: int = DEFAULT_MAX_RESOURCE_BYTES,
    ) -> None:
        if max_count < 1 or max_bytes < 1:
            raise ValueError("max_count and max_bytes must be at least 1")
        self._max_count = max_count
        self._max_bytes = max_bytes
        self._items: OrderedDict[str, StoredReport] = OrderedDict()

    def keep(
        self, name: str, description: str, text: str, mime_type: str = "text/csv"
    ) -> StoredReport | None:
        """Keep `text`; None when it alone exceeds the byte bound (nothing else is dropped)."""
        uri = f"{URI_PREFIX}{secrets.token_hex(8)}.csv"
        stored = StoredReport(uri, name, description, mime_type, text)
        if stored.size > self._max_bytes:
            return None
        self._items[uri] = stored
        while len(self._items) > self._max_count or self._total() > self._max_bytes:
            self._items.popitem(last=False)
        return stored

    def get(self, uri: str) -> StoredReport | None:
        return self._items.get(uri)

    def listed(self) -> list[types.Resource]:
        """The kept reports, newest last."""
        return [item.as_resource() for item in self._items.values()]

    def _total(self) -> int:
        return sum(item.size for item in self._items.values())

    async def list_resources(
        self, _ctx: object, _params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        """The `resources/list` handler."""
        return types.ListResourcesResult(resources=self.listed())

    async def read_resource(
        self, _ctx: object, params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        """The `resources/read` handler; an unknown or evicted URI is a protocol error."""
        stored = self.get(str(params.uri))
        if stored is None:
            raise MCPError(
                RESOURCE_NOT_FOUND,
                f"no report at {params.uri}: reports are kept only while the server runs, "
                f"at most {self._max_count} of them",
            )
        return types.ReadResourceResult(
            contents=[
                types.TextResourceContents(
                    uri=stored.uri, mime_type=stored.mime_type, text=stored.text
                )
            ]
        )
