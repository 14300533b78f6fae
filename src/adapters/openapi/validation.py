"""Checking tool arguments against a generated input schema, with messages a model can act on."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ozon_mcp.adapters.openapi.formats import (
    FORMAT_HINTS,
    PATTERN_HINTS,
    argument_format_checker,
)
from ozon_mcp.adapters.openapi.text import one_line
from ozon_mcp.domain.errors import OzonMcpError

if TYPE_CHECKING:
    # jsonschema costs ~40 ms to import; the server needs it only from the first tool call.
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

MAX_PROBLEMS = 5
_PROBLEM_LIMIT = 300


class ArgumentError(OzonMcpError):
    """Tool arguments do not fit the tool's input schema; nothing was sent upstream.

    `problems` lists each issue separately, naming the argument (e.g. `argument 'campaignId':
    'abc' is not of type 'integer'`, `missing required argument 'campaigns'`).
    """

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


def compile_validator(schema: Mapping[str, Any]) -> Draft202012Validator:
    """Check `schema` against the 2020-12 meta-schema and compile a reusable validator.

    The validator asserts `format` (date-time, date, email, uri, ...): JSON Schema treats it as
    an annotation by default, which would let `from: "not-a-date"` reach the API.
    """
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=argument_format_checker())


_INTEGER_TEXT = re.compile(r"-?[0-9]{1,19}")
_NUMBER_TEXT = re.compile(r"-?[0-9]{1,19}(\.[0-9]{1,19})?")


def coerce_arguments(schema: Mapping[str, Any], value: Any) -> Any:
    """Convert scalars whose meaning is unambiguous to the type the schema asks for.

    Ozon (like many APIs) types 64-bit ids as strings ("uint64"), and models naturally send them
    as numbers; numeric strings for integer parameters are as common. Only an int for a string,
    or a plain decimal string for an integer/number, is converted; everything else is left for
    the validator to report.
    """
    types = _types_of(schema)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int) and "string" in types and not types & {"integer", "number"}:
        return str(value)
    if isinstance(value, str) and "string" not in types:
        if "integer" in types and _INTEGER_TEXT.fullmatch(value):
            return int(value)
        if "number" in types and _NUMBER_TEXT.fullmatch(value):
            return float(value) if "." in value else int(value)
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        return [coerce_arguments(schema["items"], item) for item in value]
    properties = schema.get("properties")
    if isinstance(value, Mapping) and isinstance(properties, Mapping):
        return {
            key: coerce_arguments(properties[key], item)
            if isinstance(properties.get(key), Mapping)
            else item
            for key, item in value.items()
        }
    return value


def _types_of(schema: Mapping[str, Any]) -> set[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return {item for item in declared if isinstance(item, str)}
    return set()


def check_arguments(validator: Draft202012Validator, arguments: Mapping[str, Any]) -> None:
    """Raise ArgumentError listing what is wrong with `arguments`, or return quietly."""
    errors = list(validator.iter_errors(dict(arguments)))
    if errors:
        schema = validator.schema if isinstance(validator.schema, Mapping) else {}
        raise ArgumentError(_problems(schema, arguments, errors))


def _problems(
    schema: Mapping[str, Any], arguments: Mapping[str, Any], errors: list[ValidationError]
) -> list[str]:
    problems: list[str] = []
    known = list((schema.get("properties") or {}).keys())
    for error in sorted(errors, key=_order):
        if not error.absolute_path and error.validator == "required":
            required = error.validator_value if isinstance(error.validator_value, list) else []
            problems.extend(
                f"missing required argument {name!r}" for name in required if name not in arguments
            )
        elif not error.absolute_path and error.validator == "additionalProperties":
            extra = [name for name in arguments if name not in known]
            hint = f" (known arguments: {', '.join(known)})" if known else " (takes no arguments)"
            problems.extend(f"unknown argument {name!r}{hint}" for name in extra)
        else:
            from jsonschema.exceptions import best_match

            detail = best_match([error])
            problems.append(f"argument {_path(detail)!r}: {_message(detail)}")
    unique = [one_line(problem, _PROBLEM_LIMIT) for problem in dict.fromkeys(problems)]
    if len(unique) > MAX_PROBLEMS:
        unique = [*unique[:MAX_PROBLEMS], f"and {len(unique) - MAX_PROBLEMS} more problems"]
    return unique


def _message(error: ValidationError) -> str:
    """jsonschema's message, plus what to send instead where it only names a format or regex."""
    if error.validator == "format" and isinstance(error.validator_value, str):
        hint = FORMAT_HINTS.get(error.validator_value)
        if hint:
            return f"{error.instance!r} is not a valid {error.validator_value}; expected {hint}"
    if error.validator == "pattern":
        hint = PATTERN_HINTS.get(str(error.validator_value))
        if hint:
            return f"{error.instance!r} is not {hint}"
    return error.message


def _order(error: ValidationError) -> tuple[int, str]:
    """Missing arguments first, then unknown ones, then the rest by argument path."""
    if not error.absolute_path:
        return (0 if error.validator == "required" else 1, "")
    return (2, _path(error))


def _path(error: ValidationError) -> str:
    """`campaigns[0]` / `placement.kind`: where in the arguments the problem is."""
    text = ""
    for step in error.absolute_path:
        if isinstance(step, int):
            text += f"[{step}]"
        else:
            text += f".{step}" if text else str(step)
    return text
