"""Theme coding of free-text answers: which themes of a question's codebook an answer carries.

A codebook (`themes:` on a text question) maps a theme to words and phrases. An answer carries
a theme when it contains one of them as whole words, in any case ("rent" matches "Rent is too
high" but not "parent"); within a phrase, spaces and hyphens are alike ("zero hours" matches
"zero-hours"), and so are typographic and plain apostrophes. An answer may carry several themes;
one with none counts as "other". Reports publish only these counts. Pure.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping


class Codebook:
    """A question's themes, compiled once for matching many answers."""

    def __init__(self, themes: Mapping[str, list[str]]) -> None:
        self.names = list(themes)
        self._patterns = {name: _pattern(phrases) for name, phrases in themes.items()}

    def themes_of(self, answer: str) -> set[str]:
        """The themes an answer carries (empty when none)."""
        text = _normal(answer)
        return {name for name, pattern in self._patterns.items() if pattern.search(text)}


_SEPARATOR = re.compile(r"[\s\-\u2010-\u2015]+")  # spaces, hyphens and dashes between words
_APOSTROPHES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'"})


def _normal(text: str) -> str:
    """One form for what looks alike: composed characters, plain apostrophes."""
    return unicodedata.normalize("NFKC", text).translate(_APOSTROPHES)


def _pattern(phrases: list[str]) -> re.Pattern[str]:
    """Any of the phrases, as whole words, any case, spaces or hyphens between words."""
    alternatives = (
        _SEPARATOR.pattern.join(map(re.escape, _SEPARATOR.split(_normal(phrase).strip())))
        for phrase in phrases
    )
    return re.compile(rf"(?<!\w)(?:{'|'.join(alternatives)})(?!\w)", re.IGNORECASE)
