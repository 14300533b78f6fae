"""Swagger 2.0 documents are accepted: servers, bodies, forms, parameters and security."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_support import make_spec

from ozon_mcp.adapters.openapi import ArgumentError, build_tools, repair_spec
from ozon_mcp.adapters.openapi.security import Requirement, detect_schemes

SWAGGER: dict[str, Any] = {
    "swagger": "2.0",
    "info": {"title": "Pets", "version": "1"},
    "host": "pets.example.com",
    "basePath": "/v2/",
    "schemes": ["http", "https"],
    "consumes": ["application/json"],
    "securityDefinitions": {
        "app": {
            "type": "oauth2",
            "flow": "application",
            "tokenUrl": "https://auth.example.com/token",
            "scopes": {"pets:read": "read", "pets:write": "write"},
            "x-tokenEndpointAuthMethod": "client_secret_basic",
        },
        "key": {"type": "apiKey", "name": "api_key", "in": "query"},
    },
    "security": [{"app": ["pets:read"]}],
    "definitions": {
        "Pet": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string"}, "tag": {"type": "string"}},
        }
    },
    "parameters": {
        "limit": {"name": "limit", "in": "query", "type": "integer", "maximum": 100},
        "petBody": {
            "name": "pet",
            "in": "body",
            "required": True,
            "schema": {"$ref": "#/definitions/Pet"},
        },
    },
    "paths": {
        "/pets": {
            "get": {
                "operationId": "listPets",
                "parameters": [
                    {"$ref": "#/parameters/limit"},
                    {
                        "name": "tags",
                        "in": "query",
                        "type": "array",
                        "items": {"type": "string"},
                        "collectionFormat": "multi",
                    },
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "schema": {"type": "array", "items": {"$ref": "#/definitions/Pet"}},
                    }
                },
            },
            "post": {
                "operationId": "addPet",
                "security": [{"app": ["pets:write"]}],
                "parameters": [{"$ref": "#/parameters/petBody"}],
                "responses": {"201": {"description": "created"}},
            },
        },
        "/pets/{id}/photo": {
            "post": {
                "operationId": "uploadPhoto",
                "consumes": ["multipart/form-data"],
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "type": "integer"},
                    {"name": "caption", "in": "formData", "type": "string", "required": True},
                    {"name": "file", "in": "formData", "type": "file"},
                ],
                "responses": {"200": {"description": "ok"}},
            }
        },
        "/login": {
            "post": {
                "operationId": "login",
                "security": [],
                "parameters": [
                    {"name": "user", "in": "formData", "type": "string", "required": True},
                    {"name": "remember", "in": "formData", "type": "boolean"},
                ],
                "responses": {"200": {"description": "ok"}},
            }
        },
    },
}


def test_servers_come_from_host_base_path_and_schemes_https_first() -> None:
    spec = repair_spec(SWAGGER)
    assert spec.document["openapi"].startswith("3.0")
    assert spec.document["servers"] == [
        {"url": "https://pets.example.com/v2"},
        {"url": "http://pets.example.com/v2"},
    ]
    assert "swagger" in SWAGGER
    assert "servers" not in SWAGGER


def test_a_document_without_host_gets_a_relative_server() -> None:
    spec = repair_spec({**SWAGGER, "host": None, "basePath": "/api"})
    assert spec.document["servers"] == [{"url": "/api"}]


def test_flow_application_is_client_credentials_with_its_auth_method() -> None:
    schemes = detect_schemes(repair_spec(SWAGGER).document)
    app = schemes["app"]
    assert app.kind == "oauth2_client_credentials"
    assert app.token_url == "https://auth.example.com/token"
    assert app.scopes == ("pets:read", "pets:write")
    assert app.token_auth_method == "client_secret_basic"
    assert schemes["key"].kind == "api_key"
    assert schemes["key"].key_in == "query"


def test_operations_become_tools_with_bodies_parameters_and_security() -> None:
    tools = {t.name: t for t in build_tools(repair_spec(SWAGGER))}
    assert list(tools) == ["listPets", "addPet", "uploadPhoto", "login"]
    listing = tools["listPets"]
    assert listing.input_schema["properties"]["limit"]["maximum"] == 100
    request = listing.prepare_request({"limit": 5, "tags": ["a", "b"]})
    assert request.url("") == "/pets?limit=5&tags=a&tags=b"
    assert listing.security.alternatives == (Requirement((("app", ("pets:read",)),)),)
    add = tools["addPet"]
    assert add.input_schema["required"] == ["name"]
    assert add.prepare_request({"name": "Rex"}).json_body == {"name": "Rex"}
    assert add.security.alternatives == (Requirement((("app", ("pets:write",)),)),)
    assert tools["login"].security.is_open
    assert set(tools["login"].input_schema["properties"]) == {"user", "remember"}
    photo = tools["uploadPhoto"]
    assert photo.body is not None
    assert photo.body.media_type == "multipart/form-data"
    assert set(photo.input_schema["properties"]) >= {"id", "caption", "file"}


def test_form_and_multipart_bodies_are_sent_as_forms() -> None:
    tools = {t.name: t for t in build_tools(repair_spec(SWAGGER))}
    login = tools["login"].prepare_request({"user": "ann", "remember": True})
    assert login.json_body is None
    assert login.form == (("user", "ann"), ("remember", "true"))
    assert login.headers["Content-Type"] == "application/x-www-form-urlencoded"
    photo = tools["uploadPhoto"].prepare_request({"id": 7, "caption": "hi", "file": "aGVsbG8="})
    assert photo.path == "/pets/7/photo"
    assert photo.form == (("caption", "hi"),)
    assert photo.files == (("file", b"hello"),)
    assert "Content-Type" not in photo.headers  # the client adds the multipart boundary
    assert photo.multipart
    file_schema = tools["uploadPhoto"].input_schema["properties"]["file"]
    assert file_schema["contentEncoding"] == "base64"


def test_a_file_argument_that_is_not_base64_is_refused_naming_it() -> None:
    tool = next(t for t in build_tools(repair_spec(SWAGGER)) if t.name == "uploadPhoto")
    with pytest.raises(
        ArgumentError, match="argument 'file': must be the file's content in base64"
    ):
        tool.prepare_request({"id": 7, "caption": "hi", "file": "not base64!"})


def test_form_arrays_repeat_the_field_and_objects_are_not_form_fields() -> None:
    spec = make_spec(
        {
            "/a": {
                "post": {
                    "operationId": "A",
                    "requestBody": {
                        "content": {
                            "application/x-www-form-urlencoded": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "tag": {"type": "array", "items": {"type": "string"}},
                                        "n": {"type": "integer"},
                                    },
                                }
                            }
                        }
                    },
                    "responses": {},
                }
            },
            "/b": {
                "post": {
                    "operationId": "B",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"meta": {"type": "object"}},
                                }
                            }
                        },
                    },
                    "responses": {},
                }
            },
        }
    )
    tools = {t.name: t for t in build_tools(spec)}
    assert list(tools) == ["A"]
    request = tools["A"].prepare_request({"tag": ["x", "y"], "n": 2})
    assert request.form == (("tag", "x"), ("tag", "y"), ("n", "2"))
    assert tools["A"].prepare_request({}).form is None  # optional and empty: no body
