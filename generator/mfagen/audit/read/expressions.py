"""Evaluate the few Terraform expressions mfagen writes, over values read so far.

Supported: literals, `each.key` / `each.value.<attr>`, `local.<name>...`, `aws.<alias>`,
`<resource type>.<name>[<key>].<attr>`, `toset([...])` / `tolist([...])`, the map
comprehension `{ for <k>, <v> in <local or resource> : <k or v...> => <k or v...> }` and the
providers' choice of role, `var.<name> == null ? "<ARN>" : "<ARN prefix>${var.<name>}"`, with the
variable's default (the module as `terraform apply` runs it without -var). Anything else is an
AuditInputError: the audit does not guess what an expression evaluates to.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from mfagen.audit.errors import AuditInputError
from mfagen.audit.read.hcl_blocks import literal

_TRAVERSAL = re.compile(
    r'(?P<root>[A-Za-z_][\w-]*)(?P<rest>(?:\.[A-Za-z_][\w-]*|\[(?:"[^"]*"|each\.key)\])*)'
)
_STEP = re.compile(r'\.(?P<attr>[A-Za-z_][\w-]*)|\[(?:"(?P<key>[^"]*)"|(?P<each>each\.key))\]')
_CALL = re.compile(r"(?P<fn>toset|tolist)\(\[(?P<items>.*)\]\)", re.S)
_NAME = r"[A-Za-z_][\w-]*"
_FOR = re.compile(
    rf"\{{\s*for\s+(?P<key>{_NAME})\s*,\s*(?P<value>{_NAME})\s+in\s+(?P<source>[^:\s]+)\s*:"
    r"\s*(?P<out_key>[^=\s]+)\s*=>\s*(?P<out>[^}\s]+)\s*\}"
)
_CHOICE = re.compile(
    rf'\$\{{var\.(?P<name>{_NAME}) == null \? "(?P<then>[^"\\$]*)" : '
    rf'"(?P<other>[^"\\$]*)\$\{{var\.(?P=name)\}}"\}}'
)
"""A provider's role: the literal ARN when the variable is null, else the prefix and its value."""
_ITEM = re.compile(r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<ref>[^,"\s]+))\s*(?:,|$)')


@dataclass(frozen=True)
class Each:
    key: str
    value: Any


class Pending(NamedTuple):
    """A local as written, evaluated when first referred to."""

    raw: Any
    file: str
    line: int


@dataclass
class Scope:
    """What expressions may refer to: locals, providers and the resources built so far."""

    file: str = ""
    line: int = 0
    locals: dict[str, Any] = field(default_factory=dict)
    pending: dict[str, Pending] = field(default_factory=dict)
    """Locals not evaluated yet: one may refer to a resource read after the locals blocks."""
    resources: dict[tuple[str, str], dict[str | None, Mapping[str, Any]]] = field(
        default_factory=dict
    )
    """(type, name) -> instance key (None without for_each) -> attributes (name, arn, id)."""
    variables: dict[str, Any] = field(default_factory=dict)
    """`var.<name>`: each variable's default."""

    def at(self, file: str, line: int) -> Scope:
        self.file, self.line = file, line
        return self

    def fail(self, message: str, hint: str = "") -> AuditInputError:
        return AuditInputError(message, hint, self.file, self.line)

    def value(self, raw: Any, each: Each | None = None) -> Any:
        """A raw python-hcl2 value, with every interpolation resolved."""
        if isinstance(raw, str):  # the most common, first: a users map holds thousands
            found = _template(raw)
            if isinstance(found, str):
                return found
            if found is None:
                return self._choice(raw)
            return self.expression(found.inside, each)
        if isinstance(raw, list):
            return [self.value(item, each) for item in raw]
        if isinstance(raw, dict):
            return {key: self.value(item, each) for key, item in raw.items()}
        return raw

    def _choice(self, raw: str) -> str:
        """A provider's role (see _CHOICE), or the template cannot be evaluated."""
        choice = _CHOICE.fullmatch(raw)
        if choice is None or choice["name"] not in self.variables:
            raise self.fail(f"cannot evaluate the template {raw!r}")
        value = self.variables[choice["name"]]
        if value is None:
            return choice["then"]
        if not isinstance(value, str):
            raise self.fail(f"variable {choice['name']!r} is not a string")
        return choice["other"] + value

    def string(self, raw: Any, what: str, each: Each | None = None) -> str:
        value = self.value(raw, each)
        if not isinstance(value, str):
            raise self.fail(f"{what} is not a string")
        return value

    def strings(self, raw: Any, what: str, each: Each | None = None) -> list[str]:
        value = self.value(raw, each)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"{what} is not a list of strings")
        return value

    def local(self, name: str) -> Any:
        """The value of `local.<name>`, evaluated (where it is written) on first use."""
        if name not in self.locals and name in self.pending:
            raw, file, line = self.pending.pop(name)  # popped first: a cycle finds nothing
            here = (self.file, self.line)
            self.locals[name] = self.at(file, line).value(raw)
            self.at(*here)
        return self.locals.get(name, _MISSING)

    def settle(self) -> None:
        """Evaluate the locals nothing referred to: an error in one is still an error."""
        while self.pending:
            self.local(next(iter(self.pending)))

    def expression(self, text: str, each: Each | None) -> Any:
        parsed = _parse(text)
        if isinstance(parsed, _For):
            return self._comprehension(text, parsed, each)
        if isinstance(parsed, _Call):
            if parsed.items is None:
                raise self.fail(f"cannot evaluate {text!r}")
            values = [
                self.value(json.loads(item) if item.startswith('"') else "${" + item + "}", each)
                for item in parsed.items
            ]
            return sorted(set(values)) if parsed.function == "toset" else values
        if parsed is None:
            raise self.fail(f"cannot evaluate the expression {text!r}")
        root, steps = parsed
        if root == "each":
            return self._each(text, steps, each)
        if root == "local":
            if not steps or not steps[0][0]:
                raise self.fail(f"cannot evaluate {text!r}")
            value = self.local(steps[0][0])
            if value is _MISSING:
                raise self.fail(f"cannot evaluate {text!r}: no {steps[0][0]!r}")
            return self._walk(text, value, steps[1:], each)
        if root == "aws" and len(steps) == 1 and steps[0][0]:
            return ("provider", steps[0][0])
        return self._resource(text, root, steps, each)

    def _each(self, text: str, steps: tuple[Step, ...], each: Each | None) -> Any:
        if each is None or not steps or steps[0][0] not in ("key", "value"):
            raise self.fail(f"{text!r} outside a for_each resource")
        if steps[0][0] == "key":
            return each.key
        return self._walk(text, each.value, steps[1:], each)

    def _walk(self, text: str, value: Any, steps: tuple[Step, ...], each: Each | None) -> Any:
        for attr, key, by_each in steps:
            name = attr or key or (each.key if by_each and each else None)
            if not isinstance(value, dict) or name not in value:
                raise self.fail(f"cannot evaluate {text!r}: no {name!r}")
            value = value[name]
        return value

    def _comprehension(self, text: str, parsed: _For, each: Each | None) -> dict[str, Any]:
        """`{ for k, v in <map> : <key> => <value> }`: a map, each key at most once."""
        source = self.expression(parsed.source, each)
        if not isinstance(source, dict):
            raise self.fail(f"cannot evaluate {text!r}: {parsed.source} is not a map")
        result: dict[str, Any] = {}
        for key, value in source.items():
            bound = {parsed.key: key, parsed.value: value}
            out_key = self._bound(text, parsed.out_key, bound, each)
            if not isinstance(out_key, str) or out_key in result:
                raise self.fail(f"cannot evaluate {text!r}: key {out_key!r} is not one string")
            result[out_key] = self._bound(text, parsed.out, bound, each)
        return result

    def _bound(self, text: str, part: str, bound: dict[str, Any], each: Each | None) -> Any:
        """A traversal rooted at one of a comprehension's two names."""
        parsed = _parse(part)
        if not isinstance(parsed, _Traversal) or parsed.root not in bound:
            raise self.fail(f"cannot evaluate {text!r}: {part!r}")
        return self._walk(text, bound[parsed.root], parsed.steps, each)

    def _resource(self, text: str, kind: str, steps: tuple[Step, ...], each: Each | None) -> Any:
        if not steps or not steps[0][0]:
            raise self.fail(f"cannot evaluate {text!r}")
        instances = self.resources.get((kind, steps[0][0]))
        if instances is None:
            raise self.fail(f"{text!r} refers to a resource the audit does not know")
        rest = steps[1:]
        if not rest and None not in instances:  # the whole for_each resource: key -> instance
            return {key: dict(attributes) for key, attributes in instances.items()}
        key: str | None = None
        if rest and not rest[0][0]:
            key = rest[0][1] if rest[0][1] is not None else (each.key if each else None)
            rest = rest[1:]
        if key not in instances or len(rest) != 1 or not rest[0][0]:
            raise self.fail(f"cannot evaluate {text!r}")
        attributes = instances[key]
        if rest[0][0] not in attributes:
            raise self.fail(f"cannot evaluate {text!r}: no attribute {rest[0][0]!r}")
        return attributes[rest[0][0]]


class _Interpolation(NamedTuple):
    inside: str
    """The expression between `${` and `}`, stripped."""


@lru_cache(maxsize=8192)
def _template(raw: str) -> str | _Interpolation | None:
    """A string's literal text, the one expression it is, or None for any other template.

    Cached: a users map holds the same few templates (`${each.key}`, a
    group's name) thousands of times.
    """
    text = literal(raw)
    if text is not None:
        return text
    if raw.startswith("${") and raw.endswith("}") and raw.count("${") == 1:
        return _Interpolation(raw[2:-1].strip())
    return None


Step = tuple[str, str | None, bool]
"""`.attr`, `["key"]` or `[each.key]`: (the attribute or "", the key or None, by each.key)."""


_MISSING = object()


class _Call(NamedTuple):
    function: str
    items: tuple[str, ...] | None


class _For(NamedTuple):
    key: str
    value: str
    source: str
    out_key: str
    out: str


class _Traversal(NamedTuple):
    root: str
    steps: tuple[Step, ...]


@lru_cache(maxsize=4096)
def _parse(text: str) -> _For | _Call | _Traversal | None:
    """A map comprehension, a toset/tolist call or a traversal, or None.

    Cached: a users map names the same few groups thousands of times, and parsing the text
    with regular expressions is most of the cost of evaluating it.
    """
    comprehension = _FOR.fullmatch(text)
    if comprehension is not None:
        return _For(*comprehension.group("key", "value", "source", "out_key", "out"))
    call = _CALL.fullmatch(text)
    if call is not None:
        items = _split(call["items"])
        return _Call(call["fn"], None if items is None else tuple(items))
    match = _TRAVERSAL.fullmatch(text)
    if match is None:
        return None
    steps = tuple(
        (step["attr"], step["key"] if step["key"] is not None else None, bool(step["each"]))
        for step in _STEP.finditer(match["rest"])
    )
    return _Traversal(match["root"], steps)


def _split(items: str) -> list[str] | None:
    found: list[str] = []
    position = 0
    items = items.strip()
    while position < len(items):
        match = _ITEM.match(items, position)
        if match is None or match.end() == position:
            return None
        found.append(match["string"] or match["ref"])
        position = match.end()
    return found
