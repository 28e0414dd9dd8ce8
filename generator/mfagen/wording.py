"""How counts, durations, long lists and did-you-means read in messages: one place, so every
command says it alike."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence


def count(number: int, noun: str, plural: str = "") -> str:
    """`1 account`, `2 accounts`; `plural` for nouns that do not just take an s."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def duration(seconds: int) -> str:
    """`1h30m`, `45s`, `0s`: hours, minutes and seconds, each only when not zero. A negative
    number (a bad input, worded back) stays in seconds: `-5s`."""
    if seconds < 0:
        return f"{seconds}s"
    hours, rest = divmod(seconds, 3600)
    minutes, rest = divmod(rest, 60)
    parts = [(hours, "h"), (minutes, "m"), (rest, "s")]
    return "".join(f"{n}{unit}" for n, unit in parts if n) or "0s"


def listed(items: Sequence[str], shown: int = 5, separator: str = ", ") -> str:
    """The first `shown` items, then `... and N more`: a message stays one readable line."""
    head = separator.join(items[:shown])
    rest = len(items) - shown
    return f"{head} ... and {rest} more" if rest > 0 else head


def closest(name: object, choices: Iterable[str], cutoff: float = 0.5) -> str | None:
    """The choice most like a misspelt name, if one is close enough."""
    close = difflib.get_close_matches(str(name), sorted(choices), n=1, cutoff=cutoff)
    return close[0] if close else None


def did_you_mean(name: object, choices: Iterable[str]) -> str:
    """A did-you-mean hint for a misspelt name, or the valid names when none is close."""
    options = sorted(choices)
    close = closest(name, options)
    if close:
        return f"did you mean {close!r}?"
    if not options:
        return ""
    shown = ", ".join(repr(option) for option in options[:12])
    return f"expected one of {shown}" + (", ..." if len(options) > 12 else "")
