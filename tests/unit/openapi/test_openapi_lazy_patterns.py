"""Lazy patterns (lean descriptions' wordings) skip only texts they cannot match.

A `LazyPattern` is tried only on a text that contains its `needs`. Here each pattern of the
phrasebook and of `descriptions` is proven to need it: `needs` is a fixed literal part of the
pattern's parse tree (outside anything optional, and in every alternative where it sits in
one), so that a later edit of a pattern or of its `needs` cannot make lean mode silently skip
a text the pattern matches. Over the texts of the bundled spec and the generic specs, every
match contains its `needs` and the filtered `rephrase` gives the unfiltered result.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from re import _constants as sre_constants  # the parse tree `re.compile` compiles
from re import _parser as sre_parser
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openapi_support import GENERIC_SPECS

from ozon_mcp.adapters.openapi import LoadedSpec, build_tools, descriptions, load_spec, phrasebook
from ozon_mcp.adapters.openapi.lazy_pattern import LazyPattern

# Every code point: to check which characters a pattern character matches.
ALL_CHARACTERS = "".join(map(chr, range(0x110000)))


def _lazy_patterns(module: ModuleType) -> Iterator[LazyPattern]:
    """The LazyPatterns a module holds, alone or in (nested) tables."""

    def found(value: Any) -> Iterator[LazyPattern]:
        if isinstance(value, LazyPattern):  # a NamedTuple: before the tuple case
            yield value
        elif isinstance(value, list | tuple):
            for item in value:
                yield from found(item)

    for value in vars(module).values():
        yield from found(value)


# (`descriptions` also holds what it imports from the phrasebook: listed once.)
PATTERNS = list(dict.fromkeys([*_lazy_patterns(phrasebook), *_lazy_patterns(descriptions)]))


def test_the_wordings_are_lazy_patterns() -> None:
    assert len(PATTERNS) >= 70
    entries = (*phrasebook.GENERIC_PHRASES, *phrasebook.OZON_PHRASES)
    assert all(isinstance(pattern, LazyPattern) for pattern, _replacement in entries)


def _flattened(items: Any) -> Iterator[tuple[Any, Any]]:
    """A parsed sequence with its plain groups opened (they change nothing in what matches);
    a group that sets or clears flags stays closed."""
    for op, argument in items:
        # A group's argument: (number, flags it sets, flags it clears, its sequence).
        if op is sre_constants.SUBPATTERN and not (argument[1] or argument[2]):
            yield from _flattened(argument[3])
        else:
            yield op, argument


def _fixed_runs(items: Any) -> Iterator[str]:
    """The runs of consecutive literal characters of a parsed sequence: each match of the
    sequence contains each of them (anything else, even a zero-width assertion, ends a run)."""
    run: list[str] = []
    for op, argument in _flattened(items):
        if op is sre_constants.LITERAL:
            run.append(chr(argument))
        else:
            yield "".join(run)
            run = []
    yield "".join(run)


def _every_match_contains(needs: str, items: Any) -> bool:
    """Whether every match of the parsed sequence `items` contains `needs`: it lies in one of
    the sequence's fixed runs, or in every alternative of one of its branches."""
    if any(needs in run for run in _fixed_runs(items)):
        return True
    return any(
        op is sre_constants.BRANCH
        and all(_every_match_contains(needs, alternative) for alternative in argument[1])
        for op, argument in _flattened(items)
    )


def _only_itself(character: str, flags: int) -> bool:
    """Whether `character` in a pattern with `flags` matches no other character."""
    return re.compile(re.escape(character), flags).findall(ALL_CHARACTERS) == [character]


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda pattern: pattern.needs[:40])
def test_each_pattern_needs_a_fixed_part_of_itself(pattern: LazyPattern) -> None:
    assert pattern.needs, pattern.pattern
    compiled = pattern.compiled
    if compiled.flags & re.IGNORECASE:  # then `in` is exact only for caseless characters
        assert all(_only_itself(c, compiled.flags) for c in set(pattern.needs)), pattern.needs
    parsed = sre_parser.parse(pattern.pattern)
    assert _every_match_contains(pattern.needs, parsed), (pattern.needs, pattern.pattern)
    if pattern.literal:
        assert pattern.pattern == re.escape(pattern.needs)


def test_the_proof_rejects_what_a_match_may_lack() -> None:
    def proven(needs: str, pattern: str) -> bool:
        return _every_match_contains(needs, sre_parser.parse(pattern))

    assert proven("b c", r"a(b c)d")
    assert proven("bc", r"a(?:b|x)?(?:xbcy|zbc)")
    assert not proven("bc", r"a(?:bc)?d")  # optional
    assert not proven("bc", r"a(?:bc|d)")  # not in every alternative
    assert not proven("ab", r"a\bb")  # no run across an assertion, even a zero-width one
    assert not proven("ab", r"(?i:ab)")  # other cases match too
    assert not proven("a.b", r"a.b")  # any character
    assert not _only_itself("k", re.IGNORECASE)  # the Kelvin sign
    assert _only_itself(".", re.IGNORECASE)
    assert _only_itself("<", re.IGNORECASE)


def _spec_texts(monkeypatch: pytest.MonkeyPatch) -> tuple[set[str], set[str]]:
    """The texts lean mode works on (lean_text's input and rephrase's input) for the bundled
    spec and each generic spec, with and without output schemas."""
    lean_inputs: set[str] = set()
    rephrase_inputs: set[str] = set()
    lean_text, rephrase = descriptions.lean_text, descriptions.rephrase

    def lean_spy(text: str, omit: Any = ()) -> str:
        lean_inputs.add(text)
        return lean_text(text, omit)

    def rephrase_spy(text: str) -> str:
        rephrase_inputs.add(text)
        return rephrase(text)

    monkeypatch.setattr(descriptions, "lean_text", lean_spy)
    monkeypatch.setattr(descriptions, "rephrase", rephrase_spy)
    logging.getLogger("ozon_mcp.openapi").disabled = True
    try:
        specs: list[LoadedSpec] = [load_spec(), *(load_spec(Path(p)) for p in GENERIC_SPECS)]
    finally:
        logging.getLogger("ozon_mcp.openapi").disabled = False
    for spec in specs:
        for output_schemas in (False, True):
            built = build_tools(
                spec,
                output_schemas=output_schemas,
                description_limit=0,
                parameter_description_limit=0,
                check_schemas=False,
            )
            descriptions.describe_tools(built, "lean")
    return lean_inputs, rephrase_inputs


def _unfiltered_rephrase(text: str, stages: list[str]) -> str:
    """`phrasebook.rephrase` with every pattern run on every text (the text after each
    entry appended to `stages`)."""
    if phrasebook.DATE_LAYOUT.search(text):
        text = phrasebook.DATE_EXAMPLE.sub("", text)
    for pattern, replacement in (*phrasebook.GENERIC_PHRASES, *phrasebook.OZON_PHRASES):
        stages.append(text)
        text = pattern.compiled.sub(replacement, text)
    return text


def test_over_the_specs_every_match_contains_what_its_pattern_needs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lean_inputs, rephrase_inputs = _spec_texts(monkeypatch)
    assert len(rephrase_inputs) >= 150
    stages: list[str] = []
    for text in rephrase_inputs:
        assert phrasebook.rephrase(text) == _unfiltered_rephrase(text, stages), text
    matches = 0
    for text in {*lean_inputs, *rephrase_inputs, *stages}:
        for pattern in PATTERNS:
            for match in pattern.compiled.finditer(text):
                assert pattern.needs in match.group(), (pattern.pattern, match.group())
                matches += 1
    assert matches >= 200


def test_a_pattern_is_compiled_only_for_a_text_that_has_what_it_needs() -> None:
    broken = LazyPattern("(", needs="(")  # compiling it raises
    assert broken.sub("", "no parenthesis here") == "no parenthesis here"
    with pytest.raises(re.error):
        broken.sub("", "a (")


@given(
    text=st.text(alphabet="ab.\\ \n", max_size=12),
    needle=st.text(alphabet="ab.\\ ", min_size=1, max_size=3),
    replacement=st.one_of(
        st.text(alphabet="xy.$ ", max_size=3), st.sampled_from([r"\g<0>", r"[\g<0>]", "\\\\"])
    ),
)
def test_a_literal_pattern_substitutes_as_re_sub(text: str, needle: str, replacement: str) -> None:
    expected = re.sub(re.escape(needle), replacement, text)
    assert LazyPattern.of_text(needle).sub(replacement, text) == expected


def test_folding_whitespace_with_str_split_is_folding_regex_whitespace() -> None:
    """`lean_text` folds whitespace with `str.split` where it used `re.sub(r"\\s+", " ", ...)`:
    the same characters."""
    assert re.findall(r"\s", ALL_CHARACTERS) == [c for c in ALL_CHARACTERS if c.isspace()]
    assert descriptions.lean_text("a\u00a0\u2003 b\x1c\tc\u3000") == "a b c"
