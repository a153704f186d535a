"""Name similarity: near-duplicate event names, and "did you mean `Order Completed`?".

Two names are near-duplicates when one of these holds:

- ``same_key``: the same words in another case, spacing or punctuation
  (``order_completed``, ``order completed``, ``OrderCompleted`` vs ``Order Completed``);
- ``word_order``: the same words in another order (``Completed Order``);
- ``typo``: a small Damerau-Levenshtein distance — at most 2 edits when the joined words are 8
  characters or longer, 1 when 5 to 7 — made of words that are each one edit apart and at least
  3 letters long (so ``Signed In`` / ``Signed Up``, ``Product Viewed`` / ``Product Reviewed``,
  ``Application Installed`` / ``Application Uninstalled`` — real, distinct events of Segment's
  specs — and ``Step 1`` / ``Step 2`` are not flagged). With different word counts, the joined
  words must be one edit apart.

``NameIndex`` precomputes normalised keys and deletion neighbourhoods, so ``closest`` looks at a
handful of candidates instead of every name: with the same word count, a typo leaves the first
and the last word each within one deletion of the candidate's; otherwise the joined key is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_SEPARATORS = re.compile(r"[\W_]+")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def words(name: str) -> tuple[str, ...]:
    """``"orderId"``, ``"order_id"``, ``"Order ID"`` -> ``("order", "id")``."""
    out: list[str] = []
    for token in _SEPARATORS.split(name):
        if not token:
            continue
        if token.isascii():
            out.extend(part.lower() for part in _CAMEL.findall(token))
        else:
            out.append(token.casefold())
    return tuple(out)


def name_key(name: str) -> str:
    return "".join(words(name))


def damerau_levenshtein(a: str, b: str, limit: int | None = None) -> int:
    """Optimal-string-alignment distance; stops early (returns ``limit + 1``) beyond ``limit``."""
    if a == b:
        return 0
    cap = limit if limit is not None else max(len(a), len(b))
    if abs(len(a) - len(b)) > cap:
        return cap + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                best = min(best, previous2[j - 2] + 1)
            current[j] = best
        if min(current) > cap:
            return cap + 1
        previous2, previous = previous, current
    return min(previous[len(b)], cap + 1)


def _deletions(text: str) -> set[str]:
    return {text} | {text[:i] + text[i + 1 :] for i in range(len(text))}


@dataclass(frozen=True)
class _Name:
    name: str
    words: tuple[str, ...]
    key: str
    bag: str


def _entry(name: str) -> _Name:
    parts = words(name)
    return _Name(name, parts, "".join(parts), " ".join(sorted(parts)))


def _one_edit(x: str, y: str) -> bool:
    """True when ``x`` and ``y`` are exactly one insertion, deletion, substitution or swap apart."""
    if len(x) > len(y):
        x, y = y, x
    if len(y) - len(x) > 1 or x == y:
        return False
    i = 0
    while i < len(x) and x[i] == y[i]:
        i += 1
    if len(x) < len(y):
        return x[i:] == y[i + 1 :]
    if x[i + 1 :] == y[i + 1 :]:
        return True
    return i + 1 < len(x) and x[i] == y[i + 1] and x[i + 1] == y[i] and x[i + 2 :] == y[i + 2 :]


def _typo_word(x: str, y: str) -> bool:
    # "1"/"2", "A"/"B", "In"/"Up" are different things, not typos of one another
    return min(len(x), len(y)) >= 3 and not (x.isdigit() or y.isdigit()) and _one_edit(x, y)


def _typo_distance(a: _Name, b: _Name) -> int | None:
    shortest = min(len(a.key), len(b.key))
    limit = 2 if shortest >= 8 else 1 if shortest >= 5 else 0
    if limit == 0 or abs(len(a.key) - len(b.key)) > limit:
        return None
    if len(a.words) == len(b.words):
        distance = 0
        for x, y in zip(a.words, b.words, strict=True):
            if x != y:
                distance += 1
                if distance > limit or not _typo_word(x, y):
                    return None
        return distance
    # a missing or extra space is a same_key match; otherwise allow one edit across words
    return 1 if _one_edit(a.key, b.key) else None


def similarity(a: str, b: str) -> tuple[str, int] | None:
    """Why ``a`` and ``b`` look like the same name (``(reason, distance)``), or ``None``."""
    return _compare(_entry(a), _entry(b))


def _compare(a: _Name, b: _Name) -> tuple[str, int] | None:
    if a.name == b.name or not a.key:
        return None
    if a.key == b.key:
        return "same_key", 0
    if a.bag == b.bag:
        return "word_order", 0
    distance = _typo_distance(a, b)
    return ("typo", distance) if distance is not None else None


REASONS = {
    "same_key": "the same name in another case, spacing or punctuation",
    "word_order": "the same words in another order",
    "typo": "{distance} edit(s) away",
}


class NameIndex:
    """A normalised index of names for near-duplicate lookups."""

    def __init__(self, names: Iterable[str]) -> None:
        self._names = [_entry(name) for name in dict.fromkeys(names)]
        self._exact = {entry.name for entry in self._names}
        self._by_key: dict[str, list[int]] = {}
        self._by_bag: dict[str, list[int]] = {}
        self._by_key_deletion: dict[str, list[int]] = {}
        self._by_first: dict[tuple[int, str], list[int]] = {}
        self._by_last: dict[tuple[int, str], list[int]] = {}
        for i, entry in enumerate(self._names):
            self._by_key.setdefault(entry.key, []).append(i)
            self._by_bag.setdefault(entry.bag, []).append(i)
            for variant in _deletions(entry.key):
                self._by_key_deletion.setdefault(variant, []).append(i)
            if entry.words:
                count = len(entry.words)
                for variant in _deletions(entry.words[0]):
                    self._by_first.setdefault((count, variant), []).append(i)
                for variant in _deletions(entry.words[-1]):
                    self._by_last.setdefault((count, variant), []).append(i)

    def __len__(self) -> int:
        return len(self._names)

    def matches(self, name: str) -> list[tuple[str, str, int]]:
        """Every other indexed name that looks like ``name``: ``(name, reason, distance)``, best first."""
        probe = _entry(name)
        candidates: set[int] = set()
        candidates.update(self._by_key.get(probe.key, ()))
        candidates.update(self._by_bag.get(probe.bag, ()))
        for variant in _deletions(probe.key):
            candidates.update(self._by_key_deletion.get(variant, ()))
        if probe.words:
            # same word count: the first and the last words are each equal or one edit apart
            count = len(probe.words)
            first: set[int] = set()
            for variant in _deletions(probe.words[0]):
                first.update(self._by_first.get((count, variant), ()))
            last: set[int] = set()
            for variant in _deletions(probe.words[-1]):
                last.update(self._by_last.get((count, variant), ()))
            candidates |= first & last
        found = []
        for i in candidates:
            entry = self._names[i]
            verdict = _compare(probe, entry)
            if verdict is not None:
                found.append((entry.name, verdict[0], verdict[1]))
        order = {"same_key": 0, "word_order": 1, "typo": 2}
        found.sort(key=lambda item: (order[item[1]], item[2], item[0]))
        return found

    def closest(self, name: str) -> str | None:
        """The indexed name ``name`` most likely meant (itself when indexed), or ``None``."""
        if name in self._exact:
            return name
        found = self.matches(name)
        return found[0][0] if found else None


def closest_event(name: str, candidates: Iterable[str]) -> str | None:
    """``closest_event("Completed Order", plan.events)`` -> ``"Order Completed"``.

    Builds an index per call; keep a ``NameIndex`` for repeated lookups against one plan.
    """
    return NameIndex(candidates).closest(name)
