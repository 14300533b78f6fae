"""Hostile spec files end in a clear SpecLoadError, in bounded time and memory."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from ozon_mcp.adapters.openapi import build_tools, load_spec, parse_spec
from ozon_mcp.adapters.openapi.loading import MAX_DEPTH, MAX_SPEC_BYTES
from ozon_mcp.adapters.openapi.spec_errors import SpecError, SpecLoadError

BILLION_LAUGHS = """
openapi: 3.0.3
info: {title: bomb, version: '1'}
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
paths: {/x: {get: {responses: {'200': {description: *i}}}}}
"""


def test_a_yaml_alias_bomb_is_refused() -> None:
    with pytest.raises(SpecLoadError, match="alias bomb"):
        parse_spec(BILLION_LAUGHS, "bomb.yaml")


def test_a_recursive_yaml_alias_is_refused() -> None:
    text = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: &p {/x: *p}\n"
    with pytest.raises(SpecLoadError, match="recursive"):
        parse_spec(text, "loop.yaml")


def test_modest_aliases_are_fine() -> None:
    text = (
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n"
        "x-ok: &ok {'200': {description: ok}}\n"
        "paths: {/a: {get: {operationId: A, responses: *ok}}, "
        "/b: {get: {operationId: B, responses: *ok}}}\n"
    )
    assert [tool.name for tool in build_tools(parse_spec(text, "ok.yaml"))] == ["A", "B"]


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5_000, 200_000])
def test_deep_json_nesting_is_refused(depth: int) -> None:
    text = '{"openapi": "3.0.3", "x": ' + "[" * depth + "]" * depth + "}"
    with pytest.raises(SpecLoadError, match="nested more than"):
        parse_spec(text, "deep.json")


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5_000, 100_000])
def test_deep_yaml_nesting_is_refused(depth: int) -> None:
    text = "openapi: 3.0.3\nx: " + "[" * depth + "]" * depth + "\n"
    # Our limit, or libyaml's own (1000 levels), named either way.
    with pytest.raises(SpecLoadError, match=r"nested more than|nesting depth"):
        parse_spec(text, "deep.yaml")


def nested_schema(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(levels):
        schema = {"type": "object", "properties": {"inner": schema}}
    return schema


def test_nesting_just_within_the_limit_builds_tools_without_recursion_errors() -> None:
    # paths -> /x -> post -> requestBody -> content -> json -> schema: 8 levels, then the schema
    # (each level of it is two: the schema object and its `properties`).
    document = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/x": {
                "post": {
                    "operationId": "Deep",
                    "requestBody": {"content": {"application/json": {"schema": nested_schema(45)}}},
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }
    (tool,) = build_tools(parse_spec(json.dumps(document), "deep-ok.json"), check_schemas=True)
    tool.validate_arguments({"inner": {"inner": {}}})


def test_a_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(SpecLoadError, match="binary file"):
        load_spec(path)
    path.write_bytes(b'{"openapi": "3.0.3", "x": "\xff\xfe"}')
    with pytest.raises(SpecLoadError, match="not UTF-8"):
        load_spec(path)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_device_is_refused_without_reading() -> None:
    with pytest.raises(SpecLoadError, match="not a regular file"):
        load_spec("/dev/zero")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    with pytest.raises(SpecLoadError, match="not a regular file"):
        load_spec(fifo)  # opening it would wait for a writer forever


def test_a_directory_and_a_huge_file_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SpecLoadError, match="is a directory"):
        load_spec(tmp_path)
    huge = tmp_path / "huge.json"
    with huge.open("wb") as handle:
        handle.truncate(MAX_SPEC_BYTES + 1)  # sparse: no disk space used
    with pytest.raises(SpecLoadError, match="larger than"):
        load_spec(huge)


def test_a_missing_file_is_still_a_spec_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="does not exist"):
        load_spec(tmp_path / "nope.yaml")
