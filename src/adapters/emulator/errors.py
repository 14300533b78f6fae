"""Errors the emulated API answers with, shaped like Ozon's (`rpcStatus`: `{"error": "..."}`)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.responses import Response


class ApiError(Exception):
    """An answer other than success; raised inside handlers, turned into a response once."""

    def __init__(
        self, status: int, message: str, *, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})

    def to_response(self) -> Response:
        """The Ozon-style JSON error response."""
        return json_response({"error": self.message}, self.status, self.headers)


def json_response(
    document: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON response with UTF-8 text as Ozon sends it (Cyrillic unescaped)."""
    body = json.dumps(document, ensure_ascii=False).encode("utf-8")
    return Response(body, status, headers=dict(headers or {}), media_type="application/json")
