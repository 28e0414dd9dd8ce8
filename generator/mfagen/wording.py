"""How counts and long lists read in messages: one place, so every command says it alike."""

from __future__ import annotations

from collections.abc import Sequence


def count(number: int, noun: str, plural: str = "") -> str:
    """`1 account`, `2 accounts`; `plural` for nouns that do not just take an s."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def listed(items: Sequence[str], shown: int = 5, separator: str = ", ") -> str:
    """The first `shown` items, then `... and N more`: a message stays one readable line."""
    head = separator.join(items[:shown])
    rest = len(items) - shown
    return f"{head} ... and {rest} more" if rest > 0 else head
