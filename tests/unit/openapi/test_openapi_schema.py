"""OpenAPI Schema Objects -> JSON Schema 2020-12."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from ozon_mcp.adapters.openapi import SchemaConverter, SpecError
from ozon_mcp.adapters.openapi.schema import Direction, find_cyclic_refs


def convert(
    schema: Any,
    schemas: dict[str, Any] | None = None,
    *,
    direction: Direction = "input",
    description_limit: int = 0,
) -> dict[str, Any]:
    """Convert `schema` in a document holding `schemas`; `$defs` attached like the builder."""
    document = {"openapi": "3.0.3", "paths": {}, "components": {"schemas": schemas or {}}}
    converter = SchemaConverter(
        document,
        direction,
        cyclic_refs=find_cyclic_refs(document),
        description_limit=description_limit,
    )
    result = converter.convert(schema, "/x")
    defs = converter.defs()
    if defs:
        result = {**result, "$defs": defs}
    Draft202012Validator.check_schema(result)
    return result


def test_nullable_type_becomes_a_type_list() -> None:
    assert convert({"type": "string", "nullable": True, "maxLength": 3}) == {
        "type": ["string", "null"],
        "maxLength": 3,
    }


def test_nullable_enum_also_accepts_null() -> None:
    result = convert({"type": "string", "enum": ["a", "b"], "nullable": True})
    assert result == {"type": ["string", "null"], "enum": ["a", "b", None]}
    assert Draft202012Validator(result).is_valid(None)
    assert not Draft202012Validator(result).is_valid("c")


def test_nullable_false_is_just_dropped() -> None:
    assert convert({"type": "integer", "nullable": False}) == {"type": "integer"}


def test_nullable_reference_is_inlined_and_accepts_null() -> None:
    schemas = {"Money": {"type": "object", "properties": {"v": {"type": "number"}}}}
    result = convert(
        {"$ref": "#/components/schemas/Money", "nullable": True, "description": "price"},
        schemas,
    )
    assert result == {
        "type": ["object", "null"],
        "properties": {"v": {"type": "number"}},
        "description": "price",
    }


def test_nullable_reference_to_a_recursive_schema_becomes_any_of_with_null() -> None:
    schemas = {
        "Node": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/Node"}}}
    }
    result = convert(
        {"$ref": "#/components/schemas/Node", "nullable": True, "description": "head"}, schemas
    )
    assert result == {
        "anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}],
        "description": "head",
        "$defs": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}},
    }
    assert Draft202012Validator(result).is_valid(None)
    assert Draft202012Validator(result).is_valid({"next": {"next": {}}})
    assert not Draft202012Validator(result).is_valid({"next": 1})


def test_single_all_of_with_nullable_merges_into_the_member() -> None:
    # The pattern generators (e.g. Virto's) use to attach `nullable` to a reference.
    schemas = {"Address": {"type": "object", "properties": {"city": {"type": "string"}}}}
    result = convert(
        {"allOf": [{"$ref": "#/components/schemas/Address"}], "nullable": True}, schemas
    )
    assert result == {"type": ["object", "null"], "properties": {"city": {"type": "string"}}}


def test_all_of_with_several_members_is_kept() -> None:
    schemas = {
        "A": {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
        "B": {"type": "object", "properties": {"b": {"type": "integer"}}},
    }
    result = convert(
        {"allOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}]},
        schemas,
    )
    assert result == {
        "allOf": [
            {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
            {"type": "object", "properties": {"b": {"type": "integer"}}},
        ]
    }


def test_one_of_and_any_of_members_are_converted_and_discriminator_dropped() -> None:
    schemas = {
        "Cat": {"type": "object", "properties": {"kind": {"type": "string"}}, "xml": {"name": "c"}},
        "Dog": {"type": "object", "properties": {"bark": {"type": "boolean", "nullable": True}}},
    }
    result = convert(
        {
            "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
            "discriminator": {"propertyName": "kind"},
            "anyOf": [{"type": "string", "example": "x"}],
        },
        schemas,
    )
    assert result == {
        "oneOf": [
            {"type": "object", "properties": {"kind": {"type": "string"}}},
            {"type": "object", "properties": {"bark": {"type": ["boolean", "null"]}}},
        ],
        "anyOf": [{"type": "string", "examples": ["x"]}],
    }


def test_annotations_formats_defaults_and_enums_are_kept() -> None:
    source = {
        "type": "integer",
        "format": "int64",
        "default": 10,
        "enum": [10, 20],
        "description": "  Page size.\n\n\n\nMax 20.  ",
        "title": "Size",
        "deprecated": True,
        "example": 20,
        "minimum": 1,
    }
    assert convert(source) == {
        "type": "integer",
        "format": "int64",
        "default": 10,
        "enum": [10, 20],
        "description": "Page size.\n\nMax 20.",
        "title": "Size",
        "deprecated": True,
        "examples": [20],
        "minimum": 1,
    }


def test_openapi_only_and_extension_keywords_are_dropped() -> None:
    source = {
        "type": "object",
        "xml": {"name": "thing"},
        "externalDocs": {"url": "https://example.com"},
        "x-internal": True,
        "title": "object",  # a title that only repeats the type is noise
        "properties": {"a": {"type": "string", "x-order": 1}},
        "required": [],
    }
    assert convert(source) == {"type": "object", "properties": {"a": {"type": "string"}}}


def test_boolean_exclusive_bounds_become_numbers() -> None:
    assert convert(
        {
            "type": "number",
            "minimum": 0,
            "exclusiveMinimum": True,
            "maximum": 9,
            "exclusiveMaximum": False,
        }
    ) == {"type": "number", "exclusiveMinimum": 0, "maximum": 9}


def test_read_only_properties_are_not_inputs() -> None:
    schemas = {"Id": {"type": "string", "readOnly": True}}
    source = {
        "type": "object",
        "properties": {
            "id": {"$ref": "#/components/schemas/Id"},
            "created": {"type": "string", "readOnly": True},
            "name": {"type": "string"},
            "secret": {"type": "string", "writeOnly": True},
        },
        "required": ["id", "name", "created"],
    }
    assert convert(source, schemas) == {
        "type": "object",
        "properties": {"name": {"type": "string"}, "secret": {"type": "string"}},
        "required": ["name"],
    }
    assert convert(source, schemas, direction="output") == {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "created": {"type": "string"},
            "name": {"type": "string"},
        },
        "required": ["id", "name", "created"],
    }


def test_references_are_inlined_with_sibling_descriptions() -> None:
    schemas = {"Day": {"type": "string", "format": "date", "description": "A day."}}
    result = convert(
        {
            "type": "object",
            "properties": {
                "from": {"$ref": "#/components/schemas/Day", "description": "First day."},
                "to": {"$ref": "#/components/schemas/Day"},
            },
        },
        schemas,
    )
    assert result == {
        "type": "object",
        "properties": {
            "from": {"type": "string", "format": "date", "description": "First day."},
            "to": {"type": "string", "format": "date", "description": "A day."},
        },
    }


def test_reference_with_constraint_siblings_keeps_both_via_all_of() -> None:
    schemas = {"Name": {"type": "string"}}
    assert convert({"$ref": "#/components/schemas/Name", "maxLength": 5}, schemas) == {
        "allOf": [{"type": "string"}],
        "maxLength": 5,
    }


def test_a_self_referencing_schema_goes_to_defs_and_validates() -> None:
    schemas = {
        "Node": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
            },
        }
    }
    result = convert(
        {"type": "object", "properties": {"root": {"$ref": "#/components/schemas/Node"}}},
        schemas,
    )
    assert result == {
        "type": "object",
        "properties": {"root": {"$ref": "#/$defs/Node"}},
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
                },
            }
        },
    }
    validator = Draft202012Validator(result)
    assert validator.is_valid({"root": {"name": "a", "children": [{"name": "b", "children": []}]}})
    assert not validator.is_valid({"root": {"children": [{"name": 3}]}})


def test_mutually_recursive_schemas_share_defs_and_others_stay_inline() -> None:
    schemas = {
        "A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}}},
        "B": {
            "type": "object",
            "properties": {
                "a": {"$ref": "#/components/schemas/A"},
                "leaf": {"$ref": "#/components/schemas/Leaf"},
            },
        },
        "Leaf": {"type": "integer"},
    }
    result = convert({"$ref": "#/components/schemas/A"}, schemas)
    assert result == {
        "$ref": "#/$defs/A",
        "$defs": {
            "A": {"type": "object", "properties": {"b": {"$ref": "#/$defs/B"}}},
            "B": {
                "type": "object",
                "properties": {"a": {"$ref": "#/$defs/A"}, "leaf": {"type": "integer"}},
            },
        },
    }
    assert Draft202012Validator(result).is_valid({"b": {"a": {"b": {"leaf": 1}}}})
    assert not Draft202012Validator(result).is_valid({"b": {"a": {"b": {"leaf": "x"}}}})


def test_boolean_subschemas_and_openapi_3_1_forms_pass_through() -> None:
    source = {
        "type": ["string", "null"],
        "additionalProperties": False,
        "examples": ["a"],
        "const": "a",
    }
    assert convert(source) == source
    assert convert(True) == {}
    assert convert(False) == {"not": {}}


def test_a_pattern_python_cannot_compile_is_dropped_with_a_warning() -> None:
    document: dict[str, Any] = {"openapi": "3.0.3", "paths": {}}
    converter = SchemaConverter(document, "input", cyclic_refs=frozenset())
    assert converter.convert({"type": "string", "pattern": r"^\p{L}+$"}, "/p") == {"type": "string"}
    assert converter.warnings == [
        r"/p/pattern: pattern '^\\p{L}+$' is not a valid regular expression here; "
        "it is not enforced"
    ]


def test_descriptions_are_trimmed_to_the_limit() -> None:
    result = convert({"type": "string", "description": "word " * 40}, description_limit=30)
    assert result == {"type": "string", "description": "word word word word word…"}


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"type": "int"}, r"^/x/type: unknown type 'int'"),
        ({"required": "a"}, r"^/x/required: must be a list of property names$"),
        ({"properties": []}, r"^/x/properties: must be an object, found list$"),
        ({"allOf": {}}, r"^/x/allOf: must be a list, found dict$"),
        ({"$ref": 3}, r"^/x/\$ref: must be a string, found int$"),
        (
            {"$ref": "#/components/schemas/Missing"},
            r"^/x/\$ref: '#/components/schemas/Missing' does not point at anything",
        ),
    ],
)
def test_schemas_that_cannot_be_understood_fail_naming_the_pointer(
    schema: dict[str, Any], message: str
) -> None:
    with pytest.raises(SpecError, match=message):
        convert(schema)
