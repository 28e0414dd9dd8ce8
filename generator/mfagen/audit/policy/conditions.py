"""IAM condition operators, as AWS documents them.

A Condition block holds operators; each operator holds keys; each key one or more values.
Every operator must hold, every key within it must hold, and a key holds when the request
matches any of its values (for a negated operator: none of them). A key absent from the
request fails a positive operator and satisfies a negated one; `...IfExists` makes an absent
key satisfy any operator; `ForAnyValue:` / `ForAllValues:` compare multi-valued keys value by
value (absent or empty: ForAnyValue fails, ForAllValues holds). `Null` tests presence.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from mfagen.audit.policy.matching import (
    Context,
    Mode,
    UnresolvedError,
    compiled,
    matches,
    substitute,
)

Compare = Callable[[str, str, Context], bool]


class ConditionError(ValueError):
    """A condition IAM itself would refuse (unknown operator, malformed value)."""


def _string(request: str, policy: str, context: Context) -> bool:
    try:
        return request == substitute(policy, context, escape=False)
    except UnresolvedError:
        return False


def _string_ignore_case(request: str, policy: str, context: Context) -> bool:
    try:
        return request.casefold() == substitute(policy, context, escape=False).casefold()
    except UnresolvedError:
        return False


def _like(request: str, policy: str, context: Context) -> bool:
    return matches(policy, request, "like", context)


def _arn(request: str, policy: str, context: Context) -> bool:
    return matches(policy, request, "arn", context)


def _bool(request: str, policy: str, context: Context) -> bool:
    try:
        return request.lower() == substitute(policy, context, escape=False).lower()
    except UnresolvedError:
        return False


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _date(text: str) -> float | None:
    number = _number(text)
    if number is not None:
        return number
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _ordered(parse: Callable[[str], float | None], test: Callable[[float, float], bool]) -> Compare:
    def compare(request: str, policy: str, context: Context) -> bool:
        try:
            expected = parse(substitute(policy, context, escape=False))
        except UnresolvedError:
            return False
        actual = parse(request)
        return actual is not None and expected is not None and test(actual, expected)

    return compare


def _ip(request: str, policy: str, context: Context) -> bool:
    try:
        address = ipaddress.ip_address(request)
        network = ipaddress.ip_network(substitute(policy, context, escape=False), strict=False)
    except (ValueError, UnresolvedError):
        return False
    return address.version == network.version and address in network


def _binary(request: str, policy: str, context: Context) -> bool:
    return _string(request, policy, context)


_ORDERINGS: dict[str, Callable[[float, float], bool]] = {
    "Equals": lambda a, b: a == b,
    "LessThan": lambda a, b: a < b,
    "LessThanEquals": lambda a, b: a <= b,
    "GreaterThan": lambda a, b: a > b,
    "GreaterThanEquals": lambda a, b: a >= b,
}


def _operators() -> dict[str, tuple[Compare, bool]]:
    """Base operator name -> (comparison, negated)."""
    table: dict[str, tuple[Compare, bool]] = {
        "StringEquals": (_string, False),
        "StringNotEquals": (_string, True),
        "StringEqualsIgnoreCase": (_string_ignore_case, False),
        "StringNotEqualsIgnoreCase": (_string_ignore_case, True),
        "StringLike": (_like, False),
        "StringNotLike": (_like, True),
        "ArnEquals": (_arn, False),
        "ArnLike": (_arn, False),
        "ArnNotEquals": (_arn, True),
        "ArnNotLike": (_arn, True),
        "Bool": (_bool, False),
        "BinaryEquals": (_binary, False),
        "IpAddress": (_ip, False),
        "NotIpAddress": (_ip, True),
        "NumericNotEquals": (_ordered(_number, _ORDERINGS["Equals"]), True),
        "DateNotEquals": (_ordered(_date, _ORDERINGS["Equals"]), True),
    }
    for suffix, test in _ORDERINGS.items():
        table[f"Numeric{suffix}"] = (_ordered(_number, test), False)
        table[f"Date{suffix}"] = (_ordered(_date, test), False)
    return table


OPERATORS = _operators()
_QUALIFIED = re.compile(
    r"(?:(?P<set>ForAnyValue|ForAllValues):)?(?P<base>[A-Za-z]+?)(?P<ie>IfExists)?"
)


@dataclass(frozen=True)
class Condition:
    """One operator applied to one key with its policy values."""

    operator: str
    key: str
    values: tuple[str, ...]
    compare: Compare | None
    negated: bool
    if_exists: bool
    set_operator: str | None
    lookup: str = ""
    """The key in lower case, as the request context holds it."""
    _memo: dict[tuple[str, ...] | None, bool] | None = field(
        default=None, compare=False, repr=False
    )
    """Results by the key's request values, when no policy value holds a variable."""

    _any: Callable[[str], bool] | None = field(default=None, compare=False, repr=False)
    """Whether a request value matches any policy value, all at once (no variables)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "lookup", self.key.lower())
        if not any("${" in value for value in self.values):
            object.__setattr__(self, "_memo", {})
            object.__setattr__(self, "_any", _matcher(self.compare, self.values))

    @property
    def static(self) -> bool:
        """No policy variable: the result depends on the request's values of `key` alone."""
        return self._memo is not None

    def exact_values(self) -> frozenset[str] | None:
        """The only request values that can satisfy this test, when it is that strict.

        A positive StringEquals or wildcard-free ArnEquals/ArnLike, without IfExists, a set
        operator or a policy variable, holds for these values of its key and nothing else.
        """
        if self.negated or self.if_exists or self.set_operator:
            return None
        if any("${" in value for value in self.values):
            return None
        if self.compare is _string:
            return frozenset(self.values)
        if self.compare is _arn and not any(c in v for v in self.values for c in "*?"):
            return frozenset(self.values)
        return None

    def compares_exactly(self) -> bool:
        """Whether it tests its key for (in)equality with fixed strings, no policy variable:
        then request values outside `values` (ignoring case) all get the same answer."""
        return self.static and self.compare in (_string, _string_ignore_case)

    def describe(self) -> str:
        shown = self.values[0] if len(self.values) == 1 else list(self.values)
        return f"{self.operator} {self.key} {shown}"

    def holds(self, context: Context) -> bool:
        actual = context.get(self.lookup)
        memo = self._memo
        if memo is None:
            return self._holds(actual, context)
        found = memo.get(actual)
        if found is None:
            found = memo[actual] = self._holds(actual, context)
        return found

    def _holds(self, actual: tuple[str, ...] | None, context: Context) -> bool:
        if self.compare is None:  # Null
            absent = not actual
            return any((value.lower() == "true") == absent for value in self.values)
        if not actual:
            if self.if_exists:
                return True
            if self.set_operator is not None:
                return self.set_operator == "ForAllValues"
            return self.negated
        if self.set_operator == "ForAllValues":
            return all(self._one(value, context) for value in actual)
        return any(self._one(value, context) for value in actual)

    def _one(self, request: str, context: Context) -> bool:
        assert self.compare is not None
        if self._any is not None:
            hit = self._any(request)
        else:
            hit = any(self.compare(request, value, context) for value in self.values)
        return not hit if self.negated else hit


_ARN_COLONS = 5


def _matcher(compare: Compare | None, values: tuple[str, ...]) -> Callable[[str], bool] | None:
    """One test for many literal values: a set for exact strings, one regex for wildcards."""
    if compare is _string:
        exact = frozenset(values)
        return exact.__contains__
    if compare is _string_ignore_case:
        folded = frozenset(value.casefold() for value in values)
        return lambda request: request.casefold() in folded
    if compare in (_like, _arn):
        mode: Mode = "like" if compare is _like else "arn"
        # A value without wildcards matches itself alone (in ArnLike, when it has an ARN's six
        # parts: otherwise nothing): a set test, not one more branch of the regex.
        globs = [v for v in values if not _plain(v)]
        exact = frozenset(
            v for v in values if _plain(v) and (mode == "like" or v.count(":") >= _ARN_COLONS)
        )
        if not globs:
            return exact.__contains__
        pattern = re.compile("|".join(f"(?:{compiled(v, mode).pattern})" for v in globs), re.S)
        return lambda request: request in exact or pattern.fullmatch(request) is not None
    return None


def _plain(value: str) -> bool:
    return "*" not in value and "?" not in value and "\x00" not in value


def parse_condition(operator: str, key: str, raw: object) -> Condition:
    """One (operator, key, values) triple of a Condition block; ConditionError if invalid."""
    match = _QUALIFIED.fullmatch(operator)
    if match is None:
        raise ConditionError(f"unknown condition operator {operator!r}")
    values = _values(raw, operator, key)
    base = match["base"]
    if base == "Null":
        if match["set"] or match["ie"]:
            raise ConditionError(f"unknown condition operator {operator!r}")
        return Condition(
            operator, key, values, None, negated=False, if_exists=False, set_operator=None
        )
    entry = OPERATORS.get(base)
    if entry is None:
        raise ConditionError(f"unknown condition operator {operator!r}")
    compare, negated = entry
    return Condition(
        operator,
        key,
        values,
        compare,
        negated=negated,
        if_exists=match["ie"] is not None,
        set_operator=match["set"],
    )


def _values(raw: object, operator: str, key: str) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else [raw]
    values: list[str] = []
    for item in items:
        if isinstance(item, bool):
            values.append("true" if item else "false")
        elif isinstance(item, int | float | str):
            values.append(str(item))
        else:
            raise ConditionError(f"condition {operator} {key}: values must be strings")
    if not values:
        raise ConditionError(f"condition {operator} {key} has no value")
    return tuple(values)
