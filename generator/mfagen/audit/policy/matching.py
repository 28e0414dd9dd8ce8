"""How IAM compares strings: action and resource wildcards, ARN components, policy variables.

Pure functions over strings and a request context (lower-case key -> values). Patterns are
compiled once and cached; a pattern with a policy variable is compiled per variable value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Literal

Context = Mapping[str, tuple[str, ...]]
"""The request context: condition key in lower case -> its values (absent key: no entry)."""

Mode = Literal["action", "resource", "like", "arn"]

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_SPECIAL = {"*": "*", "?": "?", "$": "$"}
_ARN_PARTS = 6


class UnresolvedError(Exception):
    """A policy variable names a key the request does not carry: the element matches nothing."""


def has_variable(text: str) -> bool:
    return "${" in text


def substitute(text: str, context: Context, *, escape: bool) -> str:
    """Replace IAM policy variables (`${aws:username}`, `${key, 'default'}`, `${*}`).

    With `escape`, substituted values are marked literal for the wildcard matchers: a value
    never acts as a wildcard. Raises UnresolvedError when a variable has no value and no default.
    """

    def replace(match: re.Match[str]) -> str:
        inner = match[1].strip()
        if inner in _SPECIAL:
            return _literal(_SPECIAL[inner], escape)
        key, _, default = inner.partition(",")
        values = context.get(key.strip().lower())
        if values is not None and len(values) == 1:
            return _literal(values[0], escape)
        default = default.strip()
        if values is None and len(default) >= 2 and default[0] == default[-1] == "'":
            return _literal(default[1:-1], escape)
        raise UnresolvedError(key.strip())

    return _VARIABLE.sub(replace, text)


_ESCAPED = "\x00"
"""Marks the next character of a substituted value as literal for the glob compilers."""


def _literal(value: str, escape: bool) -> str:
    if not escape:
        return value
    return "".join(_ESCAPED + char if char in "*?" else char for char in value)


@lru_cache(maxsize=8192)
def _glob(pattern: str, mode: Mode) -> re.Pattern[str]:
    """A regular expression for an IAM wildcard pattern in one of IAM's matching modes."""
    if mode == "arn":
        segments = pattern.split(":", _ARN_PARTS - 1)
        if len(segments) != _ARN_PARTS:
            return re.compile(r"(?!)")  # not an ARN: matches nothing
        inner = [_regex(segment, lambda _i: "[^:]*", "[^:]") for segment in segments[:-1]]
        last = _regex(segments[-1], lambda _i: ".*", ".")
        return re.compile(":".join([*inner, last]), re.DOTALL)
    if mode == "resource":
        return re.compile(_regex(pattern, lambda i: _star(pattern, i), "[^:]"), re.DOTALL)
    flags = re.IGNORECASE | re.DOTALL if mode == "action" else re.DOTALL
    return re.compile(_regex(pattern, lambda _i: ".*", "."), flags)


def _regex(pattern: str, star: Callable[[int], str], question: str) -> str:
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == _ESCAPED and index + 1 < len(pattern):
            parts.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        if char == "*":
            parts.append(star(index))
        elif char == "?":
            parts.append(question)
        else:
            parts.append(re.escape(char))
        index += 1
    return "".join(parts)


def _star(pattern: str, index: int) -> str:
    """In a resource ARN `*` stays inside its colon-separated segment unless it ends one."""
    after = pattern[index + 1 : index + 2]
    return ".*" if after in ("", ":") else "[^:]*"


def compiled(pattern: str, mode: Mode) -> re.Pattern[str]:
    """The regular expression of a pattern without policy variables."""
    return _glob(pattern, mode)


def matches(pattern: str, value: str, mode: Mode, context: Context) -> bool:
    """Whether `value` matches the IAM pattern; unresolvable variables match nothing."""
    if has_variable(pattern):
        try:
            pattern = substitute(pattern, context, escape=True)
        except UnresolvedError:
            return False
    elif pattern == "*" and mode in ("action", "resource"):
        return True
    return _glob(pattern, mode).fullmatch(value) is not None


def _plain(pattern: str) -> bool:
    return not any(c in pattern for c in ("*", "?", "$", _ESCAPED))


class PatternSet:
    """Several patterns of one element (Action, NotResource, ...), compiled for speed.

    Resource patterns without a wildcard match themselves alone: a set test. The other
    patterns without variables become one regular expression, compiled when first needed (a
    group's policy lists a dozen role ARNs: compiling them as a regex cost more than every
    question asked of them); patterns with variables are tried one by one.
    """

    __slots__ = ("_dynamic", "_exact", "_globs", "_mode", "_static", "_wildcard", "patterns")

    def __init__(self, patterns: tuple[str, ...], mode: Mode) -> None:
        self.patterns = patterns
        static = [p for p in patterns if not has_variable(p)]
        self._dynamic = tuple(p for p in patterns if has_variable(p))
        self._wildcard = "*" in static and mode in ("action", "resource")
        # "action" compares without case (as IAM does, and as the regex's IGNORECASE folds):
        # a set would need the same folding, so action patterns stay in the regex
        self._exact = frozenset(p for p in static if mode == "resource" and _plain(p))
        self._globs = tuple(p for p in static if p not in self._exact)
        self._static: re.Pattern[str] | None = None
        self._mode: Mode = mode

    def literals(self) -> frozenset[str] | None:
        """The patterns, when each matches only itself (no wildcard, variable or escape)."""
        if self._mode not in ("resource", "arn") or not all(_plain(p) for p in self.patterns):
            return None
        return frozenset(self.patterns)

    @property
    def dynamic(self) -> bool:
        """Whether a pattern holds a policy variable (its result depends on the context)."""
        return bool(self._dynamic)

    def match(self, value: str, context: Context) -> bool:
        if self._wildcard or value in self._exact:
            return True
        if self._globs:
            if self._static is None:
                self._static = re.compile(
                    "|".join(f"(?:{_glob(p, self._mode).pattern})" for p in self._globs),
                    re.IGNORECASE | re.DOTALL if self._mode == "action" else re.DOTALL,
                )
            if self._static.fullmatch(value) is not None:
                return True
        return any(matches(p, value, self._mode, context) for p in self._dynamic)
