"""Checking tool arguments against a generated input schema, with messages a model can act on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from adapters.openapi.text import one_line
from domain.errors import OzonMcpError

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
    """Check `schema` against the 2020-12 meta-schema and compile a reusable validator."""
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


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
            detail = best_match([error])
            problems.append(f"argument {_path(detail)!r}: {detail.message}")
    unique = [one_line(problem, _PROBLEM_LIMIT) for problem in dict.fromkeys(problems)]
    if len(unique) > MAX_PROBLEMS:
        unique = [*unique[:MAX_PROBLEMS], f"and {len(unique) - MAX_PROBLEMS} more problems"]
    return unique


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
