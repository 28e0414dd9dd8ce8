"""Read accounts.yaml safely and remember where every key and value stands.

PyYAML's loaders lose positions and silently keep the last of two equal keys. This module
composes the node graph with a safe loader, then builds plain Python data from it itself, so
it can refuse duplicate keys, bound alias expansion and record a `(line, column)` for every
path in the document. Only the safe constructors ever run: a `!!python/...` tag is an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mfagen.errors import ConfigError, Problem

Loc = tuple[str | int, ...]
Position = tuple[int, int]

MAX_NODES = 1_000_000
"""Nodes a document may expand to, aliases included: refuses alias bombs early."""

MERGE_TAG = "tag:yaml.org,2002:merge"
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Document:
    """Data read from a YAML file, with the position of every key and value in it."""

    file: str
    data: dict[str, Any]
    keys: dict[Loc, Position] = field(repr=False)
    values: dict[Loc, Position] = field(repr=False)
    sources: dict[Loc, str] = field(repr=False)
    """The YAML text of every value that did not load as a string (numbers, booleans)."""

    def position(self, loc: Loc, *, of_key: bool = False) -> Position:
        """Where `loc` stands; for a path that does not exist, where its nearest parent does."""
        while loc:
            table = self.keys if of_key else self.values
            if loc in table:
                return table[loc]
            if loc in self.keys:
                return self.keys[loc]
            loc = loc[:-1]
        return self.values.get((), (1, 1))

    def problem(self, loc: Loc, message: str, hint: str = "", *, of_key: bool = False) -> Problem:
        line, column = self.position(loc, of_key=of_key)
        return Problem(self.file, line, column, dotted(loc), message, hint)


def dotted(loc: Loc) -> str:
    """`('accounts', 'dev', 'id')` -> `accounts.dev.id`; list indexes as `[0]`."""
    text = ""
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def load_file(path: Path) -> Document:
    """Read and parse `path`; raise ConfigError naming the position of anything wrong."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            [Problem(name, 1, 1, "(file)", "no such file", "run 'mfagen init' or pass the path")]
        ) from None
    except OSError as exc:
        raise ConfigError([Problem(name, 1, 1, "(file)", f"cannot read: {exc.strerror}")]) from None
    return load_bytes(raw, name)


def load_bytes(raw: bytes, name: str) -> Document:
    text = _decode(raw, name)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        raise ConfigError([_syntax_problem(exc, name)]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(name, 1, 1, "(file)", f"not valid YAML: {exc}")]) from None
    if root is None:
        raise ConfigError(
            [Problem(name, 1, 1, "(top level)", "the file is empty", "start with 'version: 1'")]
        )
    builder = _Builder(name)
    data = builder.build(root, ())
    if not isinstance(data, dict):
        raise ConfigError(
            [
                Problem(
                    name,
                    *_pos(root.start_mark),
                    "(top level)",
                    f"expected a mapping of settings, got {type_name(data)}",
                    "the file starts with keys such as 'version: 1' and 'organization:'",
                )
            ]
        )
    return Document(name, data, builder.keys, builder.values, builder.sources)


def type_name(value: object) -> str:
    """How YAML users call the type of a loaded value."""
    names = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
        type(None): "nothing (null)",
    }
    return names.get(type(value), f"a {type(value).__name__}")


def _decode(raw: bytes, name: str) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise ConfigError(
            [
                Problem(
                    name,
                    line,
                    column,
                    "(file)",
                    f"not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded",
                    "save the file as UTF-8",
                )
            ]
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ConfigError([Problem(name, line, 1, "(file)", "contains a NUL character")])
    return text


def _pos(mark: Any) -> Position:
    return (mark.line + 1, mark.column + 1)


def _syntax_problem(exc: yaml.MarkedYAMLError, name: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, column = _pos(mark) if mark is not None else (1, 1)
    problem = exc.problem or "invalid YAML"
    hint = "check the indentation and quoting around this position"
    if "\t" in problem or "'\\t'" in problem:
        hint = "YAML forbids tabs for indentation: use spaces"
    return Problem(name, line, column, "(syntax)", f"not valid YAML: {problem}", hint)


class _Builder:
    """Turns composed YAML nodes into Python data, recording positions as it goes."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.keys: dict[Loc, Position] = {}
        self.values: dict[Loc, Position] = {}
        self.sources: dict[Loc, str] = {}
        self.nodes = 0
        self.constructor = yaml.SafeLoader("")

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ConfigError(
                [
                    Problem(
                        self.name,
                        *_pos(node.start_mark),
                        dotted(loc),
                        f"the document expands to more than {MAX_NODES:,} values",
                        "YAML aliases (*name) that repeat each other blow up; write values out",
                    )
                ]
            )
        self.values.setdefault(loc, _pos(node.start_mark))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
        return self._scalar(node, loc)

    def _scalar(self, node: yaml.Node, loc: Loc) -> Any:
        try:
            value = self.constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError:
            raise ConfigError(
                [
                    Problem(
                        self.name,
                        *_pos(node.start_mark),
                        dotted(loc),
                        f"the YAML tag {node.tag!r} is not allowed",
                        "accounts.yaml holds plain values only; remove the tag",
                    )
                ]
            ) from None
        if not isinstance(value, str):
            self.sources[loc] = node.value
        return value

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        seen: dict[Any, Position] = {}
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                merged.extend(self._merge_sources(value_node, loc))
                continue
            key = self._key(key_node, loc)
            where = _pos(key_node.start_mark)
            if key in seen:
                first_line = seen[key][0]
                raise ConfigError(
                    [
                        Problem(
                            self.name,
                            *where,
                            dotted((*loc, key)),
                            f"duplicate key {key!r} (first defined on line {first_line})",
                            "YAML would silently keep only the last one: remove one of them",
                        )
                    ]
                )
            seen[key] = where
            self.keys[(*loc, key)] = where
            result[key] = self.build(value_node, (*loc, key))
        for key_node, value_node in merged:
            key = self._key(key_node, loc)
            if key not in result:
                self.keys[(*loc, key)] = _pos(key_node.start_mark)
                result[key] = self.build(value_node, (*loc, key))
        return result

    def _key(self, node: yaml.Node, loc: Loc) -> str:
        key = self._scalar(node, loc) if isinstance(node, yaml.ScalarNode) else None
        if isinstance(key, str):
            return key
        text = node.value if isinstance(node, yaml.ScalarNode) else "..."
        raise ConfigError(
            [
                Problem(
                    self.name,
                    *_pos(node.start_mark),
                    dotted((*loc, text)),
                    f"the key {text} reads as {type_name(key)}, not a name",
                    f'quote it: "{text}"'
                    if isinstance(node, yaml.ScalarNode)
                    else "a key is a plain name",
                )
            ]
        )

    def _merge_sources(self, node: yaml.Node, loc: Loc) -> list[tuple[yaml.Node, yaml.Node]]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        pairs: list[tuple[yaml.Node, yaml.Node]] = []
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise ConfigError(
                    [
                        Problem(
                            self.name,
                            *_pos(source.start_mark),
                            dotted(loc),
                            "a merge key '<<' needs a mapping (or a list of mappings)",
                        )
                    ]
                )
            self.nodes += len(source.value)
            pairs.extend(source.value)
        return pairs
