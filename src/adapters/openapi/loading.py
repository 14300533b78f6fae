"""Reading a spec file into a JSON-like document within bounded time and memory.

A spec path comes from configuration, so it can be anything: a FIFO or `/dev/zero` (reading
would never end), a binary file, a huge file, a YAML "billion laughs" (a few hundred bytes of
anchors and aliases that expand to billions of nodes), a recursive alias, or nesting deep enough
to exhaust the interpreter's stack. Each of these becomes a `SpecLoadError` naming the file and
the problem, never a hang or a traceback:

- only regular files are opened (checked with `stat` first: opening a FIFO would block);
- at most `MAX_SPEC_BYTES` are read, so an endless or huge file costs nothing more;
- NUL bytes or invalid UTF-8 mean a binary file;
- YAML is composed first and its expanded size counted (aliases included, each shared node
  counted at every use) against `MAX_EXPANDED_NODES` before any Python object is built;
- the document's nesting is limited to `MAX_DEPTH` levels (the JSON parser and every later walk
  recurse).
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from ozon_mcp.adapters.openapi.spec_errors import SpecLoadError

MAX_SPEC_BYTES = 32 * 1024 * 1024  # the largest public specs are a few MB
MAX_EXPANDED_NODES = 2_000_000  # far above any real spec, far below an alias bomb
MAX_DEPTH = 100  # real specs nest 30-40 levels; the walks after loading recurse per level


def read_spec_text(path: Path, *, max_bytes: int = MAX_SPEC_BYTES) -> str:
    """The text of the spec file at `path`, refusing anything but a readable, bounded text file."""
    shown = repr(str(path))
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise SpecLoadError(
            f"OPENAPI_SPEC: file {shown} does not exist; give the path of a JSON or YAML "
            "OpenAPI 3 document, or unset it to use the bundled Ozon Performance spec"
        ) from None
    except OSError as exc:
        raise SpecLoadError(f"OPENAPI_SPEC: cannot read {shown}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        what = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise SpecLoadError(
            f"OPENAPI_SPEC: {shown} is {what} (a device, a pipe or a socket would never end); "
            "give the path of a JSON or YAML file"
        )
    if info.st_size > max_bytes:
        raise SpecLoadError(_too_big(shown, max_bytes))
    try:
        # O_NONBLOCK: should the file be swapped for a FIFO after the check, open() still
        # returns at once instead of waiting for a writer.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(descriptor, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise SpecLoadError(f"OPENAPI_SPEC: cannot read {shown}: {exc.strerror}") from None
    if len(data) > max_bytes:
        raise SpecLoadError(_too_big(shown, max_bytes))
    return decode_spec_bytes(data, str(path))


def decode_spec_bytes(data: bytes, source: str) -> str:
    """UTF-8 text of a spec, or a `SpecLoadError` saying that the file is binary."""
    if b"\x00" in data[:65536]:
        raise SpecLoadError(
            f"{source}: this is a binary file (it contains NUL bytes), not a JSON or YAML "
            "OpenAPI document"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecLoadError(
            f"{source}: not UTF-8 text (invalid byte at offset {exc.start}); a JSON or YAML "
            "OpenAPI document must be UTF-8"
        ) from None


def parse_document(text: str, source: str) -> Any:
    """JSON first, then YAML (safely bounded); raises `SpecLoadError` with a clear reason."""
    try:
        document = json.loads(text)
    except RecursionError:
        raise SpecLoadError(_too_deep(source)) from None
    except ValueError:
        document = _parse_yaml(text, source)
    check_depth(document, source)
    return document


def check_depth(document: Any, source: str, *, max_depth: int = MAX_DEPTH) -> None:
    """Refuse a document nested deeper than `max_depth` (iteratively: no recursion here)."""
    pending: list[tuple[Any, int]] = [(document, 1)]
    seen: set[int] = set()
    while pending:
        node, depth = pending.pop()
        if not isinstance(node, dict | list):
            continue
        if depth > max_depth:
            raise SpecLoadError(_too_deep(source, max_depth))
        if id(node) in seen:  # shared by YAML aliases: its depth below was already checked
            continue
        seen.add(id(node))
        children = node.values() if isinstance(node, dict) else node
        pending.extend((child, depth + 1) for child in children)


def _parse_yaml(text: str, source: str) -> Any:
    import yaml  # only YAML specs need it (JSON is tried first)

    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_class(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        _check_expansion(root, source)
        return loader.construct_document(root)
    except RecursionError:
        raise SpecLoadError(_too_deep(source)) from None
    except yaml.YAMLError as exc:
        raise SpecLoadError(f"{source}: neither valid JSON nor valid YAML ({exc})") from None
    finally:
        loader.dispose()


def _check_expansion(root: Any, source: str) -> None:
    """Count the nodes the document expands to (an alias counts its whole target again).

    Iterative post-order walk with a memo per node: linear in the composed graph, however
    large the expansion. A node reached again while it is being counted is a recursive alias.
    """
    import yaml

    sizes: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            active.discard(key)
            children = _children(node, yaml)
            size = 1 + sum(sizes[id(child)] for child in children)
            if size > MAX_EXPANDED_NODES:
                raise SpecLoadError(
                    f"{source}: the YAML expands to more than {MAX_EXPANDED_NODES:,} nodes "
                    "through its aliases (an alias bomb?); refused"
                )
            sizes[key] = size
            continue
        if key in sizes:
            continue
        if key in active:
            raise SpecLoadError(
                f"{source}: a YAML alias refers to a node that contains it (a recursive "
                "document); OpenAPI documents must be trees"
            )
        active.add(key)
        stack.append((node, True))
        if len(stack) > MAX_EXPANDED_NODES:
            raise SpecLoadError(_too_deep(source))
        stack.extend((child, False) for child in _children(node, yaml) if id(child) not in sizes)


def _children(node: Any, yaml: Any) -> list[Any]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _too_big(shown: str, max_bytes: int) -> str:
    return (
        f"OPENAPI_SPEC: {shown} is larger than {max_bytes // (1024 * 1024)} MiB; that is not an "
        "OpenAPI document ozon-mcp can serve"
    )


def _too_deep(source: str, max_depth: int = MAX_DEPTH) -> str:
    return f"{source}: the document is nested more than {max_depth} levels deep; refused"
