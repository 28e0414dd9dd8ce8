"""Refuse AWS secrets pasted into accounts.yaml: access key ids, secret keys, session tokens.

accounts.yaml is committed to a GitOps repository, so a credential in it leaks to everyone
who can read the repository. Every string in the document, keys included, and every comment
is scanned before the models see it (a model error would echo the value). Messages show a
masked form only.

Ids of users, roles, groups and policies (AIDA, AROA, AGPA, ANPA, ...) are not secrets and
pass; AKIA (long-term access key) and ASIA (temporary access key) ids are refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from mfagen.errors import Problem
from mfagen.loader import Document, Loc, dotted

HINT = (
    "secrets never belong in accounts.yaml: remove it, and if it was ever committed, "
    "deactivate and rotate the key in IAM"
)

ACCESS_KEY_ID = re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])")
_SECRET_KEY = re.compile(r"[A-Za-z0-9/+=]{40}")
_TOKEN = re.compile(r"[A-Za-z0-9/+=]{100,}")
_TOKEN_PREFIXES = ("IQoJb3JpZ2lu", "FwoGZXIvYXdz", "AQoDYXdz", "AQoEXAMPLE")
"""How STS session tokens start (base64 of their binary header)."""
_SHORTEST = 20
"""The shortest secret: an access key id (a secret key has 40 characters, a token 100)."""
_SEPARATORS = re.compile(r"[\s\"'`,;()\[\]{}<>]+")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*=")
"""`aws_secret_access_key=...` pasted as one word: look at what follows the '='."""


def problems(document: Document) -> list[Problem]:
    """One problem for every string of the document, keys included, the values of keys
    written twice too, and every comment that looks like a secret."""
    found = []
    for part in (document, *document.set_aside):
        for loc, what, of_key in _walk(part.data, ()):
            line, column = part.position(loc, of_key=of_key)
            field = dotted(tuple(redact(key) if isinstance(key, str) else key for key in loc))
            message = f"this {'key' if of_key else 'value'} holds {what}"
            found.append(Problem(document.file, line, column, field, message, HINT))
    found = list(dict.fromkeys(found))  # a set-aside value's path holds the document's keys
    lines = {problem.line for problem in found}
    for line, column, what in _comments(document.text):
        if line not in lines:  # a quoted value holding ' #' was found above already
            message = f"this comment holds {what}"
            found.append(Problem(document.file, line, column, "(comment)", message, HINT))
    return found


def _comments(text: str) -> Iterator[tuple[int, int, str]]:
    """(line, column, what) of each comment holding a secret: comments are committed too."""
    for number, line in enumerate(text.splitlines(), start=1):
        start = _comment_start(line)
        if start is not None and (what := describe(line[start:])):
            yield number, start + 1, what


def _comment_start(line: str) -> int | None:
    """Where a comment starts: a line's first `#`, or a `#` after a space (YAML's rule)."""
    if line.lstrip().startswith("#"):
        return line.index("#")
    found = line.find(" #")
    return None if found < 0 else found + 1


def _walk(value: Any, loc: Loc) -> Iterator[tuple[Loc, str, bool]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and (what := describe(key)):
                yield (*loc, key), what, True
            yield from _walk(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, (*loc, index))
    elif isinstance(value, str) and (what := describe(value)):
        yield loc, what, False


def describe(text: str) -> str:
    """The secret `text` holds, masked ('an AWS access key id (AKIA…MPLE)'), or ''."""
    if len(text) < _SHORTEST:  # most strings (names, ids, tier lists): nothing fits in them
        return ""
    match = ACCESS_KEY_ID.search(text)
    if match:
        kind = "access key id" if match[0].startswith("AKIA") else "temporary access key id"
        return f"an AWS {kind} ({mask(match[0])})"
    for word in _words(text):
        if _is_token(word):
            return f"what looks like an AWS session token ({mask(word)}, {len(word)} chars)"
        if _is_secret_key(word):
            return f"what looks like an AWS secret access key ({mask(word)})"
    return ""


def redact(text: str) -> str:
    """`text` with every secret in it masked, for showing a key in a dotted path."""
    text = ACCESS_KEY_ID.sub(lambda match: mask(match[0]), text)
    for word in set(_words(text)):
        if _is_token(word) or _is_secret_key(word):
            text = text.replace(word, mask(word))
    return text


def mask(secret: str) -> str:
    """`AKIAIOSFODNN7EXAMPLE` -> `AKIA…MPLE`: enough to recognise it, not to use it."""
    return f"{secret[:4]}…{secret[-4:]}"


def _words(text: str) -> Iterator[str]:
    for word in _SEPARATORS.split(text):
        yield word
        assignment = _ASSIGNMENT.match(word)
        if assignment:
            yield word[assignment.end() :]


def _mixed(word: str) -> bool:
    return (
        any(c.isupper() for c in word)
        and any(c.islower() for c in word)
        and any(c.isdigit() for c in word)
    )


def _is_secret_key(word: str) -> bool:
    return bool(_SECRET_KEY.fullmatch(word)) and _mixed(word)


def _is_token(word: str) -> bool:
    if not _TOKEN.fullmatch(word):
        return False
    return word.startswith(_TOKEN_PREFIXES) or _mixed(word)
