"""Policy documents compared as IAM reads them, not as text.

Two documents are the same when their statements are, as a set: the Sid and the order aside,
actions and condition keys without case, a single value as a list of one, an account id in a
Principal as its root ARN, condition values as strings ("true" is true, "3600" is 3600).
"""

from __future__ import annotations

import json
import re
from typing import Any

_ACCOUNT = re.compile(r"[0-9]{12}")
Normal = tuple[Any, ...]


def statements(document: Any) -> list[Any]:
    """A document's statements, as written."""
    if not isinstance(document, dict):
        return [document]
    raw = document.get("Statement")
    return raw if isinstance(raw, list) else [raw]


def normal(statement: Any) -> Normal:
    """A statement in its canonical form (the same for statements IAM reads alike)."""
    if not isinstance(statement, dict):
        return ("?", json.dumps(statement, sort_keys=True, default=str))
    found: list[tuple[str, Any]] = []
    for key, value in statement.items():
        if key == "Sid":
            continue
        if key in ("Action", "NotAction"):
            found.append((key, frozenset(v.lower() for v in _strings(value))))
        elif key in ("Resource", "NotResource"):
            found.append((key, frozenset(_strings(value))))
        elif key in ("Principal", "NotPrincipal"):
            found.append((key, _principal(value)))
        elif key == "Condition" and isinstance(value, dict):
            found.append((key, _condition(value)))
        else:
            found.append((key, _text(value)))
    return tuple(sorted(found, key=lambda item: item[0]))


def same(expected: Any, live: Any) -> bool:
    """Whether IAM reads the two documents alike."""
    return not differences(expected, live)


def differences(expected: Any, live: Any) -> tuple[str, ...]:
    """What tells the output's document (`expected`) from IAM's (`live`): the Version, and the
    statements only one of them has, as JSON; nothing when IAM reads them alike."""
    found = []
    if _version(expected) != _version(live):
        found.append(f"Version {_version(live)} in IAM, {_version(expected)} in the output")
    in_output = [(s, normal(s)) for s in statements(expected)]
    in_iam = [(s, normal(s)) for s in statements(live)]
    output_forms = {form for _, form in in_output}
    iam_forms = {form for _, form in in_iam}
    found += [f"only in IAM: {compact(s)}" for s, form in in_iam if form not in output_forms]
    found += [f"only in the output: {compact(s)}" for s, form in in_output if form not in iam_forms]
    return tuple(found)


def compact(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _version(document: Any) -> str:
    return str(document.get("Version", "2008-10-17")) if isinstance(document, dict) else ""


def _strings(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [_text(v) for v in values]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def _principal(value: Any) -> Any:
    if not isinstance(value, dict):
        return _text(value)
    return frozenset(
        (kind, frozenset(_root(v) if kind == "AWS" else v for v in _strings(items)))
        for kind, items in value.items()
    )


def _root(value: str) -> str:
    return f"arn:aws:iam::{value}:root" if _ACCOUNT.fullmatch(value) else value


def _condition(value: dict[str, Any]) -> Any:
    return frozenset(
        (operator, key.lower(), frozenset(_strings(values)))
        for operator, tests in value.items()
        if isinstance(tests, dict)
        for key, values in tests.items()
    ) | frozenset(
        (operator, "?", _text(tests))
        for operator, tests in value.items()
        if not isinstance(tests, dict)
    )
