"""Generated specs never crash the builder: every operation is a valid tool or is skipped with a
warning naming its JSON pointer, and the security resolution always answers."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from ozon_mcp.adapters.openapi import SpecError, build_tools, repair_spec
from ozon_mcp.adapters.openapi.security import Credentials, detect_schemes, resolve_auth

NAMES = st.text(st.sampled_from("abcXYZ_-.{}/ 0"), min_size=1, max_size=6)
JUNK = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.text(max_size=3), st.just([]))


def schemas(depth: int = 2) -> st.SearchStrategy[Any]:
    """Schema Objects, plausible and not: wrong types, refs that go nowhere, nesting."""
    leaf = st.one_of(
        st.fixed_dictionaries(
            {"type": st.sampled_from(["string", "integer", "number", "boolean", "file", "x"])},
            optional={
                "format": st.sampled_from(["binary", "date-time", "int64"]),
                "enum": st.lists(st.integers(0, 3), max_size=2),
                "nullable": st.booleans(),
                "maxLength": st.one_of(st.integers(0, 5), st.just("5")),
            },
        ),
        st.just({"$ref": "#/components/schemas/Thing"}),
        st.just({"$ref": "#/components/schemas/Missing"}),
        st.just({}),
        JUNK,
    )
    if depth == 0:
        return leaf
    inner = schemas(depth - 1)
    return st.one_of(
        leaf,
        st.fixed_dictionaries(
            {"type": st.just("object")},
            optional={
                "properties": st.dictionaries(NAMES, inner, max_size=3),
                "required": st.one_of(st.lists(NAMES, max_size=2), st.booleans()),
                "additionalProperties": st.one_of(st.booleans(), inner),
            },
        ),
        st.fixed_dictionaries({"type": st.just("array"), "items": inner}),
        st.fixed_dictionaries({"allOf": st.lists(inner, max_size=2)}),
        st.fixed_dictionaries({"oneOf": st.one_of(st.lists(inner, max_size=2), JUNK)}),
    )


PARAMETERS = st.fixed_dictionaries(
    {
        "name": st.one_of(NAMES, st.just("Authorization"), JUNK),
        "in": st.sampled_from(["path", "query", "header", "cookie", "body", "formData", "x"]),
    },
    optional={
        "schema": schemas(1),
        "type": st.sampled_from(["string", "integer", "array", "file"]),
        "required": JUNK,
        "style": st.sampled_from(["form", "deepObject", "simple", 3]),
    },
)
MEDIA = st.sampled_from(
    ["application/json", "multipart/form-data", "application/x-www-form-urlencoded", "text/csv"]
)
SECURITY = st.one_of(
    st.just([]),
    st.just([{}]),
    st.lists(
        st.dictionaries(
            st.sampled_from(["cc", "key", "basic", "ghost"]),
            st.one_of(st.lists(NAMES, max_size=2), JUNK),
            max_size=2,
        ),
        max_size=2,
    ),
    JUNK,
)
OPERATIONS = st.fixed_dictionaries(
    {},
    optional={
        "operationId": st.one_of(NAMES, JUNK),
        "parameters": st.one_of(st.lists(PARAMETERS, max_size=3), JUNK),
        "requestBody": st.one_of(
            st.fixed_dictionaries(
                {"content": st.dictionaries(MEDIA, st.fixed_dictionaries({"schema": schemas()}))},
                optional={"required": st.booleans()},
            ),
            JUNK,
        ),
        "security": SECURITY,
        "responses": st.just({"200": {"description": "ok"}}),
    },
)
PATHS = st.dictionaries(
    st.sampled_from(["/a", "/a/{id}", "/b/{x}/{y}", "/c"]),
    st.dictionaries(st.sampled_from(["get", "post", "put", "delete"]), OPERATIONS, max_size=3),
    min_size=1,
    max_size=3,
)
SCHEMES = {
    "cc": {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "/t", "scopes": {}}}},
    "key": {"type": "apiKey", "name": "k", "in": "query"},
    "basic": {"type": "http", "scheme": "basic"},
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    paths=PATHS,
    version=st.sampled_from(["openapi", "swagger"]),
    thing=schemas(),
    global_security=SECURITY,
)
def test_generated_specs_build_valid_tools_or_warn_with_a_pointer(
    paths: dict[str, Any], version: str, thing: Any, global_security: Any
) -> None:
    document: dict[str, Any] = {"info": {"title": "gen", "version": "1"}, "paths": paths}
    if version == "openapi":
        document["openapi"] = "3.0.3"
        document["components"] = {"schemas": {"Thing": thing}, "securitySchemes": SCHEMES}
    else:
        document["swagger"] = "2.0"
        document["definitions"] = {"Thing": thing}
        document["securityDefinitions"] = {
            "cc": {"type": "oauth2", "flow": "application", "tokenUrl": "/t", "scopes": {}},
            "key": {"type": "apiKey", "name": "k", "in": "query"},
            "basic": {"type": "basic"},
        }
    document["security"] = global_security
    logger = logging.getLogger("ozon_mcp.openapi")
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger.addHandler(handler)
    try:
        try:
            spec = repair_spec(document, "generated")
        except SpecError as exc:
            problem = str(exc)  # a document-level problem, named by its pointer
            assert "pointer" in problem
            return
        tools = build_tools(spec)
    finally:
        logger.removeHandler(handler)
    operations = sum(len(item) for item in paths.values())
    skipped = [r.getMessage() for r in records if "is skipped" in r.getMessage()]
    unusable = [r.getMessage() for r in records if "not offered as a tool" in r.getMessage()]
    assert len(tools) + len(skipped) + len(unusable) == operations
    for message in skipped + unusable:
        assert message.startswith(("/paths/", "/components/", "$ref", "generated")), message
    names = [tool.name for tool in tools]
    assert len(set(names)) == len(names)
    schemes = detect_schemes(spec.document)
    for tool in tools:
        Draft202012Validator.check_schema(tool.input_schema)
        assert not any(
            b.location == "header" and b.name.lower() == "authorization" for b in tool.parameters
        )
        resolve_auth(tool.security, schemes, Credentials("cc", oauth_ready=True))


@pytest.mark.parametrize("name", ["Authorization", "authorization"])
def test_an_authorization_header_parameter_is_never_an_argument(name: str) -> None:
    document = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/a": {
                "get": {
                    "operationId": "A",
                    "parameters": [
                        {"name": name, "in": "header", "required": True, "schema": {}},
                        {"name": "q", "in": "query", "schema": {"type": "string"}},
                    ],
                    "responses": {},
                }
            }
        },
    }
    [tool] = build_tools(repair_spec(document))
    assert set(tool.input_schema["properties"]) == {"q"}
    assert "required" not in tool.input_schema
