"""IAM's policy grammar: check a policy document as IAM would and compile it for evaluation.

What IAM would refuse (an unknown element or operator, Action with NotAction, a Principal in an
identity policy) is a PolicyError: the audit reports the file and Sid and stops (exit 2) rather
than guess what AWS would do with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Literal

from mfagen.audit.policy.conditions import Condition, ConditionError, parse_condition
from mfagen.audit.policy.evaluate import Policy, Statement, StatementRef
from mfagen.audit.policy.matching import PatternSet

VERSION = "2012-10-17"


class PolicyError(ValueError):
    """A policy document IAM would refuse; `sid` names the statement when known."""

    def __init__(self, message: str, sid: str | None = None) -> None:
        self.sid = sid
        super().__init__(message)


def compile_policy(
    document: Any,
    *,
    name: str,
    where: StatementRef,
    sid_line: Mapping[str, int] | None = None,
    trust: bool = False,
) -> Policy:
    """Check and compile a policy document; `where` gives file, line and address for its Sids."""
    if not isinstance(document, dict):
        raise PolicyError("the policy is not a JSON object")
    unknown = set(document) - {"Version", "Id", "Statement"}
    if unknown:
        raise PolicyError(f"unknown policy element {sorted(unknown)[0]!r}")
    version = document.get("Version", "2008-10-17")
    if version not in (VERSION, "2008-10-17"):
        raise PolicyError(f"unknown policy Version {version!r}")
    raw = document.get("Statement")
    items = raw if isinstance(raw, list) else [raw]
    if raw is None or not items:
        raise PolicyError("the policy has no Statement")
    statements = []
    for index, item in enumerate(items):
        sid = item.get("Sid") if isinstance(item, dict) else None
        label = sid if isinstance(sid, str) and sid else f"#{index + 1}"
        try:
            statements.append(_statement(item, version, where, label, sid_line or {}, trust=trust))
        except (PolicyError, ConditionError) as error:
            raise PolicyError(str(error), label) from None
    return Policy(name, tuple(statements))


_STATEMENT_KEYS = {
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
}


def _statement(
    item: Any,
    version: str,
    where: StatementRef,
    label: str,
    sid_line: Mapping[str, int],
    *,
    trust: bool,
) -> Statement:
    if not isinstance(item, dict):
        raise PolicyError("a statement is not a JSON object")
    unknown = set(item) - _STATEMENT_KEYS
    if unknown:
        raise PolicyError(f"unknown statement element {sorted(unknown)[0]!r}")
    effect = item.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f"Effect must be Allow or Deny, not {effect!r}")
    _exactly_one(item, "Action", "NotAction")
    if not trust:
        _exactly_one(item, "Resource", "NotResource")
        if "Principal" in item or "NotPrincipal" in item:
            raise PolicyError("an identity policy statement cannot name a Principal")
    elif "Principal" not in item and "NotPrincipal" not in item:
        raise PolicyError("a trust policy statement needs a Principal")
    variables = version == VERSION

    def patterns(key: str, mode: Literal["action", "resource"]) -> PatternSet | None:
        if key not in item:
            return None
        values = _strings(item[key], key)
        if not variables:
            values = tuple(v.replace("${", "$\x00{") for v in values)
        return _pattern_set(values, mode)

    ref = StatementRef(
        where.file,
        sid_line.get(label, where.line),
        where.address,
        where.policy,
        label,
        str(effect),
    )
    return Statement(
        ref=ref,
        effect=effect,
        actions=patterns("Action", "action"),
        not_actions=patterns("NotAction", "action"),
        resources=patterns("Resource", "resource"),
        not_resources=patterns("NotResource", "resource"),
        principals=_principals(item["Principal"]) if "Principal" in item else None,
        not_principals=_principals(item["NotPrincipal"]) if "NotPrincipal" in item else None,
        conditions=_conditions(item.get("Condition", {})),
    )


@lru_cache(maxsize=4096)
def _pattern_set(values: tuple[str, ...], mode: Literal["action", "resource"]) -> PatternSet:
    """One PatternSet per distinct element: compiling its regular expression is most of the
    cost of reading a policy, and a module's policies repeat a few distinct elements.
    A PatternSet never changes once built, so statements can share it."""
    return PatternSet(values, mode)


def _exactly_one(item: dict[str, Any], first: str, second: str) -> None:
    if (first in item) == (second in item):
        raise PolicyError(f"a statement needs exactly one of {first} and {second}")


def _strings(raw: Any, key: str) -> tuple[str, ...]:
    values = raw if isinstance(raw, list) else [raw]
    if not values or not all(isinstance(v, str) and v for v in values):
        raise PolicyError(f"{key} must be a string or a list of strings")
    return tuple(values)


def _principals(raw: Any) -> tuple[str, ...]:
    if raw == "*":
        return ("*",)
    if not isinstance(raw, dict) or not raw:
        raise PolicyError('Principal must be "*" or an object such as {"AWS": ...}')
    found: list[str] = []
    for kind, value in raw.items():
        values = _strings(value, f"Principal.{kind}")
        # Only AWS principals can match an IAM user or role; services and federation never do.
        if kind == "AWS":
            found.extend(values)
    return tuple(found)


def _conditions(raw: Any) -> tuple[Condition, ...]:
    """Cached like `_pattern_set`: a module's statements repeat a few dozen distinct
    Condition blocks, and a Condition never changes once built (its memo
    of results depends on nothing but its own values). The key is the block's repr, which
    tells a list from a tuple and "1" from 1; an error is raised again each time."""
    if not isinstance(raw, dict):
        raise PolicyError("Condition must be an object")
    key = repr(raw)
    found = _CONDITIONS.get(key)
    if found is None:
        if len(_CONDITIONS) >= _CONDITIONS_KEPT:
            _CONDITIONS.clear()
        found = _CONDITIONS[key] = _parse_conditions(raw)
    return found


_CONDITIONS: dict[str, tuple[Condition, ...]] = {}
_CONDITIONS_KEPT = 4096


def _parse_conditions(raw: dict[str, Any]) -> tuple[Condition, ...]:
    conditions: list[Condition] = []
    for operator, keys in raw.items():
        if not isinstance(keys, dict):
            raise PolicyError(f"condition {operator} must map keys to values")
        parse_condition(operator, "", "")  # the operator is valid even when no key follows
        conditions.extend(parse_condition(operator, key, value) for key, value in keys.items())
    return tuple(conditions)
