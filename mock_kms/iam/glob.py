"""Policy wildcards (``*`` any run of characters, ``?`` exactly one) matched without backtracking.

A backtracking regular expression takes exponential time on patterns such as
``*a*a*a*a*a*a*b`` against a long run of ``a``: one policy condition could hold the
interpreter for seconds. Here a pattern is split at its stars into segments; the first
segment must match at the start, the last at the end, and each middle segment is matched at
its leftmost position after the previous one. Leftmost is always right for ``*`` (a star can
absorb whatever a later choice would have skipped), so nothing is ever retried: the cost is
at most ``len(value) × len(pattern)`` character comparisons, and far less in practice since
literal runs are found with ``str.find``.

ARN patterns (ArnLike/ArnEquals) match the six colon-separated parts of an ARN separately
[IAM UG: ARN condition operators]: :class:`ArnWildcard` splits pattern and value at their
first five colons and matches part by part, so a wildcard never crosses a colon there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# A pattern is given as (character, is_wildcard) pairs: only wildcards written in a policy
# count (``${*}`` and the text of substituted variables are literal).
Token = tuple[str, bool]


@dataclass(frozen=True)
class _Segment:
    """Text between two stars: literal runs at fixed offsets, ``?`` in the gaps."""

    length: int
    runs: tuple[tuple[int, str], ...]  # (offset, literal text), in order

    @staticmethod
    def of(tokens: list[Token]) -> _Segment:
        runs: list[tuple[int, str]] = []
        start, text = 0, []
        for offset, (char, wild) in enumerate(tokens):
            if wild:  # "?"
                if text:
                    runs.append((start, "".join(text)))
                text = []
                start = offset + 1
            else:
                text.append(char)
        if text:
            runs.append((start, "".join(text)))
        return _Segment(len(tokens), tuple(runs))

    def at(self, value: str, position: int) -> bool:
        """Whether the segment matches ``value`` at ``position`` (which leaves room for it)."""
        for offset, text in self.runs:
            if not value.startswith(text, position + offset):
                return False
        return True

    def find(self, value: str, start: int, end: int) -> int:
        """Leftmost position in ``[start, end - length]`` where the segment matches, or -1."""
        last = end - self.length
        if not self.runs:
            return start if start <= last else -1
        offset, text = max(self.runs, key=lambda run: len(run[1]))  # the most selective run
        position = start
        while position <= last:
            # Jump to the next place that run fits, then check the others.
            found = value.find(text, position + offset, last + offset + len(text))
            if found < 0:
                return -1
            position = found - offset
            if self.at(value, position):
                return position
            position += 1
        return -1


@dataclass(frozen=True)
class Wildcard:
    """A compiled ``*``/``?`` pattern; :meth:`matches` is a full match."""

    source: str
    head: _Segment
    middle: tuple[_Segment, ...]
    tail: _Segment | None  # None: the pattern has no star

    @staticmethod
    def compile(tokens: Iterable[Token]) -> Wildcard:
        tokens = list(tokens)
        segments: list[list[Token]] = [[]]
        for char, wild in tokens:
            if wild and char == "*":
                segments.append([])
            else:
                segments[-1].append((char, wild))
        compiled = [_Segment.of(segment) for segment in segments]
        source = "".join(char for char, _ in tokens)
        if len(compiled) == 1:
            return Wildcard(source, compiled[0], (), None)
        return Wildcard(source, compiled[0], tuple(compiled[1:-1]), compiled[-1])

    @staticmethod
    def of(text: str) -> Wildcard:
        """A pattern in which every ``*`` and ``?`` is a wildcard."""
        return Wildcard.compile((char, char in "*?") for char in text)

    def matches(self, value: str) -> bool:
        head, tail = self.head, self.tail
        if tail is None:
            return len(value) == head.length and head.at(value, 0)
        end = len(value) - tail.length
        if end < head.length or not head.at(value, 0) or not tail.at(value, end):
            return False
        position = head.length
        for segment in self.middle:
            found = segment.find(value, position, end)
            if found < 0:
                return False
            position = found + segment.length
        return True


@dataclass(frozen=True)
class ArnWildcard:
    """An ARN pattern: its first five colon-separated parts and the rest, each a :class:`Wildcard`."""

    source: str
    parts: tuple[Wildcard, ...]  # six

    @staticmethod
    def compile(tokens: Iterable[Token]) -> ArnWildcard | None:
        """The ARN pattern, or None when the pattern has fewer than five literal colons."""
        tokens = list(tokens)
        parts: list[list[Token]] = [[]]
        for char, wild in tokens:
            if char == ":" and not wild and len(parts) < 6:
                parts.append([])
            else:
                parts[-1].append((char, wild))
        if len(parts) < 6:
            return None
        return ArnWildcard("".join(char for char, _ in tokens), tuple(Wildcard.compile(part) for part in parts))

    def matches(self, value: str) -> bool:
        pieces = value.split(":", 5)
        if len(pieces) != 6:
            return False
        for part, piece in zip(self.parts, pieces):  # noqa: B905 (both have six)
            if not part.matches(piece):
                return False
        return True
