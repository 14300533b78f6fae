"""Which media types mean JSON, for request bodies and for answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# `*/*` is fine to send JSON to, but promises nothing about what comes back.
_BEST_RANK_FOR_ANSWERS = 2


def json_rank(media_type: str) -> int | None:
    """How plainly a media type means JSON (lower is better); None when it does not."""
    base = media_type.split(";", 1)[0].strip().lower()
    if base == "application/json":
        return 0
    if base.startswith("application/") and base.endswith("+json"):
        return 1
    if base == "text/json" or base.endswith("+json"):
        return 2
    if base in ("*/*", "application/*"):
        return 3
    return None


def pick_json(content: Mapping[str, Any]) -> tuple[str, Any] | None:
    """The most plainly JSON entry of a `content` map, as (media type, Media Type Object)."""
    ranked = [
        (rank, index, media_type)
        for index, media_type in enumerate(content)
        if (rank := json_rank(media_type)) is not None
    ]
    if not ranked:
        return None
    _rank, _index, media_type = min(ranked)
    return media_type, content[media_type]


def promises_json(media_type: str) -> bool:
    """Whether an answer declared with this media type is certainly JSON."""
    rank = json_rank(media_type)
    return rank is not None and rank <= _BEST_RANK_FOR_ANSWERS
