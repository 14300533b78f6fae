"""Unsafe spec path keys are refused at load; a URL off API_BASE_URL is never sent."""

from __future__ import annotations

import logging
from typing import Any

import anyio
import httpx2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ozon_mcp.adapters.mcp.upstream import (
    OffTargetError,
    UpstreamClient,
    UpstreamRequest,
    check_on_target,
)
from ozon_mcp.adapters.openapi import build_tools, repair_spec


def operation(name: str) -> dict[str, Any]:
    return {"get": {"operationId": name, "responses": {"200": {"description": "ok"}}}}


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("users", "does not start with '/'"),
        ("//evil.example/x", "network-path"),
        ("/a/../admin", "'..' segment"),
        ("/a/./b", "'.' or '..' segment"),
        ("/a/%2e%2E/b", "'..' segment"),
        ("/x@evil.example/y", "'@'"),
        ("https://evil.example/x", "does not start with '/'"),
        ("/redirect?to=https://evil.example", "scheme"),
        ("/a\\b", "backslash"),
        ("/a#frag", "'#'"),
    ],
)
def test_unsafe_path_keys_are_refused_naming_the_pointer(
    key: str, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    document = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {key: operation("Bad"), "/good/{id}": operation("Good")},
    }
    with caplog.at_level(logging.WARNING, logger="ozon_mcp.openapi"):
        spec = repair_spec(document, "t")
    assert [tool.name for tool in build_tools(spec)] == ["Good"]  # the server still starts
    pointer = "/paths/" + key.replace("~", "~0").replace("/", "~1")
    assert any(r.pointer == pointer and reason in r.description for r in spec.repairs)
    assert pointer in caplog.text
    assert key in document["paths"]  # the caller's document is untouched


def test_ordinary_path_keys_are_kept() -> None:
    keys = ["/", "/a/{id}", "/files/{name}.json", "/a/.well-known/x", "/v1/a:b", "/a/..x/b"]
    document = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {key: operation(f"Op{i}") for i, key in enumerate(keys)},
    }
    spec = repair_spec(document, "t")
    assert not [r for r in spec.repairs if "path key" in r.description]
    assert len(build_tools(spec)) == len(keys)


BASE = httpx2.URL("https://api.example:8443/base")


@pytest.mark.parametrize(
    "url",
    [
        "https://api.example:8443/base",
        "https://api.example:8443/base/x/y?q=1",
        "https://api.example:8443/base/a/%2E%2E/b",
    ],
)
def test_urls_under_the_base_pass(url: str) -> None:
    check_on_target(BASE, httpx2.URL(url))


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example:8443/base/x",
        "http://api.example:8443/base/x",
        "https://api.example/base/x",
        "https://api.example:8443/other",
        "https://api.example:8443/basement",
        "https://api.example:8443/base/../x",
        "https://api.example:8443/base/%2E%2E/x",
    ],
)
def test_urls_off_the_base_are_refused(url: str) -> None:
    with pytest.raises(OffTargetError, match="not under API_BASE_URL"):
        check_on_target(BASE, httpx2.URL(url))


class RecordingAuth(httpx2.Auth):
    """Counts how often a token would have been attached."""

    def __init__(self) -> None:
        self.attached = 0

    def auth_flow(self, request: httpx2.Request) -> Any:
        self.attached += 1
        request.headers["Authorization"] = "Bearer t"
        yield request


def send(target: str) -> tuple[RecordingAuth, list[httpx2.Request], Exception | None]:
    auth = RecordingAuth()
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, json={})

    client = UpstreamClient(
        "https://api.example/base",
        auth,
        max_body_bytes=1000,
        transport=httpx2.MockTransport(handler),
    )

    async def run() -> Exception | None:
        try:
            await client.send(UpstreamRequest("GET", target))
        except OffTargetError as exc:
            return exc
        finally:
            await client.aclose()
        return None

    return auth, seen, anyio.run(run)


@given(
    target=st.lists(
        st.sampled_from(["..", ".", "x", "%2E%2E", "", "@evil", "evil.example:1"]), max_size=5
    ).map(lambda parts: "/" + "/".join(parts))
)
def test_no_token_is_attached_to_a_url_off_the_base(target: str) -> None:
    auth, seen, error = send(target)
    if error is not None:
        assert auth.attached == 0
        assert seen == []
        assert "no token was sent" in str(error)
    else:
        assert len(seen) == 1
        assert seen[0].url.host == "api.example"
        assert (seen[0].url.path + "/").startswith("/base/")


def test_a_target_without_a_leading_slash_is_refused() -> None:
    auth, seen, error = send("@evil.example/x")
    assert isinstance(error, OffTargetError)
    assert (auth.attached, seen) == (0, [])
