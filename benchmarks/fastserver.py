"""A minimal HTTP/1.1 server for the cost scenarios (S2, S2s): token endpoint plus one resource.

The built-in emulator validates every call against the spec (~1.5 ms of server time per call),
which would bury the client-side cost that S2 compares. This server answers in tens of
microseconds. `POST /api/client/token` issues a fresh opaque token to any client (no secret is
checked); every other request gets a fixed JSON body if it carries a token issued here, else
401. `GET /__stats__` returns the counters, with token requests per client_id (read from a JSON
or form body, or from HTTP Basic) so that contenders sharing the server are counted apart.
Run as `python -m benchmarks.fastserver`; it prints `listening on http://127.0.0.1:PORT`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import itertools
import json
from collections import Counter
from urllib.parse import parse_qs

TOKEN_PATH = "/api/client/token"
RESOURCE_BODY = json.dumps({"list": [{"id": "1", "title": "bench"}], "total": 1}).encode()


class FastServer:
    """Counters and issued tokens of one server process."""

    def __init__(self) -> None:
        self._serial = itertools.count(1)
        self.tokens: set[str] = set()
        self.token_requests: Counter[str] = Counter()
        self.counts = {"api_calls": 0, "unauthorized": 0}

    def answer(self, method: str, path: str, authorization: str, body: bytes) -> tuple[int, bytes]:
        """The status and JSON body for one request."""
        if path == TOKEN_PATH and method == "POST":
            self.token_requests[client_id(authorization, body)] += 1
            token = f"fast-{next(self._serial)}"
            self.tokens.add(token)
            answer = {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
            return 200, json.dumps(answer).encode()
        if path == "/__stats__":
            stats = {**self.counts, "token_requests": dict(self.token_requests)}
            return 200, json.dumps(stats).encode()
        self.counts["api_calls"] += 1
        if authorization.startswith("Bearer ") and authorization[7:] in self.tokens:
            return 200, RESOURCE_BODY
        self.counts["unauthorized"] += 1
        return 401, b'{"error":"invalid_token"}'

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve keep-alive requests on one connection until the client closes it."""
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0") or 0)
                payload = await reader.readexactly(length) if length else b""
                path = target.split("?", 1)[0]
                status, body = self.answer(method, path, headers.get("authorization", ""), payload)
                reason = "OK" if status == 200 else "Unauthorized"
                writer.write(
                    f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()


def client_id(authorization: str, body: bytes) -> str:
    """The client_id of a token request: HTTP Basic user, JSON or form field ('?' if none)."""
    if authorization[:6].lower() == "basic ":
        try:
            return base64.b64decode(authorization[6:]).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            return "?"
    try:
        document = json.loads(body)
        if isinstance(document, dict):
            return str(document.get("client_id", "?"))
    except ValueError:
        pass
    return parse_qs(body.decode("latin-1")).get("client_id", ["?"])[0]


async def serve(port: int) -> None:
    """Listen on 127.0.0.1:`port` (0 = a free port) until killed."""
    server = FastServer()
    listener = await asyncio.start_server(server.handle, "127.0.0.1", port)
    bound = listener.sockets[0].getsockname()[1]
    print(f"listening on http://127.0.0.1:{bound}", flush=True)
    async with listener:
        await listener.serve_forever()


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(serve(args.port))


if __name__ == "__main__":
    main()
