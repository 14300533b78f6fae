"""Regular expressions that cost nothing for the texts they cannot match.

Lean mode runs some 80 patterns over every description of a spec (about 190 texts for the
Ozon spec), and each of the long ones matches only a few of them. Compiling them all at import
and running each `.sub()` over every text took most of lean mode's share of the start-up time.
A `LazyPattern` names a literal that each of its matches contains (`needs`), tries the pattern
only on a text that contains it (a plain `in`), and is compiled on the first such text: a spec
that needs none of the Ozon wordings compiles none of them. The result is `re.sub`'s, always:
`tests/unit/openapi/test_openapi_lazy_patterns.py` proves from each pattern's parse tree that
every match contains its `needs`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

Replacement = str | Callable[[re.Match[str]], str]


# An immutable value, a NamedTuple rather than a dataclass: at import, making the class costs
# a tenth of the dataclass machinery's millisecond.
class LazyPattern(NamedTuple):
    """`pattern` (regex source), compiled on first use, tried only where `needs` occurs.

    `needs`: a literal every match contains (a fixed part of the pattern, outside any optional
    part, and in each alternative if it is in one). `literal`: the pattern is `needs` itself,
    escaped, so that `str.replace` can do the substitution.
    """

    pattern: str
    needs: str
    literal: bool = False

    @classmethod
    def of_text(cls, text: str) -> LazyPattern:
        """The pattern that matches `text` exactly (as `re.compile(re.escape(text))`)."""
        return cls(re.escape(text), text, literal=True)

    @property
    def compiled(self) -> re.Pattern[str]:
        """The compiled pattern: compiled once, on first use (`re.compile` caches it)."""
        return re.compile(self.pattern)

    def sub(self, replacement: Replacement, text: str) -> str:
        """`text` with every match replaced, as `re.sub(self.pattern, replacement, text)`."""
        if self.needs not in text:
            return text  # no match can exist
        if self.literal and isinstance(replacement, str) and "\\" not in replacement:
            # Without a backslash `re.sub`'s template is the plain string, and its
            # non-overlapping left-to-right matches of a literal are `str.replace`'s.
            return text.replace(self.needs, replacement)
        return self.compiled.sub(replacement, text)
