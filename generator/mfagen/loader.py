"""Read accounts.yaml safely and remember where every key and value stands.

PyYAML's loaders lose positions and silently keep the last of two equal keys. This module
composes the node graph with a safe loader, then builds plain Python data from it itself, so
it can bound alias expansion, record a `(line, column)` for every path in the document and
catch a key written twice. Such a key is a problem of the document, not the end of reading
it: the data keeps the first value, the place is marked doubtful (no rule across values may
rest on it) and the later value is set aside, for the secret scan only, so that the same run
reports every other problem of the file too. Only the safe constructors ever run: any
`!!python/...` or custom tag is an error, on a scalar, a list or a mapping alike.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mfagen import syntax
from mfagen.errors import ConfigError, Problem
from mfagen.syntax import Position, error, position

Loc = tuple[str | int, ...]

MAX_NODES = 1_000_000
"""Nodes a document may expand to, aliases included: refuses alias bombs before building."""
MAX_DEPTH = 100
"""Levels a document may nest; accounts.yaml needs fewer than ten."""

MERGE_TAG = "tag:yaml.org,2002:merge"
PLAIN_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})
_PLAIN_KEY = re.compile(r"[\w:<@+=,-]+")
"""Keys shown as they are in a dotted path; others are quoted."""
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
    text: str = field(default="", repr=False)
    """The whole file, for what the data does not hold (comments)."""
    problems: tuple[Problem, ...] = field(default=(), repr=False)
    """What is wrong with the file that does not stop it being read: keys written twice."""
    doubtful: frozenset[Loc] = field(default=frozenset(), repr=False)
    """The places of keys written twice: the data holds their first value, perhaps not the
    one meant."""
    set_aside: tuple[Document, ...] = field(default=(), repr=False)
    """The later value of each key written twice, as a document of its own (with its own
    positions), for what must see every value: the secret scan."""

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
    """`('accounts', 'dev', 'id')` -> `accounts.dev.id`; list indexes as `[0]`.

    A key that would make the path ambiguous (`carol.smith`, `..`, `data eng`) is quoted:
    `users["carol.smith"]`.
    """
    text = ""
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        elif not _PLAIN_KEY.fullmatch(str(part)):
            text += f'["{part}"]'
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def load_file(path: Path) -> Document:
    """Read and parse `path`; raise ConfigError naming the position of anything wrong."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        hint = "check the path, or pass the accounts file: mfagen validate PATH"
        raise error(name, (1, 1), "(file)", "no such file", hint) from None
    except OSError as exc:
        raise error(name, (1, 1), "(file)", f"cannot read: {exc.strerror}") from None
    return load_bytes(raw, name)


def load_bytes(raw: bytes, name: str) -> Document:
    text = syntax.decode(raw, name)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.reader.ReaderError as exc:
        raise ConfigError([syntax.reader_problem(exc, text, name)]) from None
    except yaml.MarkedYAMLError as exc:
        raise ConfigError([syntax.syntax_problem(exc, text, name)]) from None
    except yaml.YAMLError as exc:
        raise error(name, (1, 1), "(file)", f"not valid YAML: {exc}") from None
    except RecursionError:  # only the pure-Python parser recurses; libyaml stops at 1000 levels
        raise error(name, (1, 1), "(file)", "nested too deeply", "flatten the document") from None
    if root is None:
        raise error(name, (1, 1), "(top level)", "the file is empty", "start with 'version: 1'")
    _Measure(name).measure(root, (), 0)
    builder = _Builder(name)
    data = builder.build(root, ())
    if not isinstance(data, dict):
        raise error(
            name,
            position(root.start_mark),
            "(top level)",
            f"expected a mapping of settings, got {type_name(data)}",
            "the file starts with keys such as 'version: 1' and 'organization:'",
        )
    return Document(
        name,
        data,
        builder.keys,
        builder.values,
        builder.sources,
        text,
        tuple(builder.problems),
        frozenset(builder.doubtful),
        tuple(builder.set_aside),
    )


def type_name(value: object) -> str:
    """How YAML users call the type of a loaded value."""
    names = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
        bytes: "binary data",
        datetime.date: "a date",
        datetime.datetime: "a timestamp",
        type(None): "nothing (null)",
    }
    return names.get(type(value), f"a {type(value).__name__}")


def _refusal(name: str, node: yaml.Node, loc: Loc, message: str, hint: str) -> ConfigError:
    return error(name, position(node.start_mark), dotted(loc), message, hint)


def _short(tag: str) -> str:
    """`tag:yaml.org,2002:python/name:os.system` -> `!!python/name:os.system`, as written."""
    return tag.replace("tag:yaml.org,2002:", "!!", 1) if tag.startswith("tag:yaml.org") else tag


def _children(node: yaml.Node, loc: Loc) -> list[tuple[yaml.Node, Loc]]:
    if isinstance(node, yaml.SequenceNode):
        return [(item, (*loc, index)) for index, item in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        children: list[tuple[yaml.Node, Loc]] = []
        for key, value in node.value:
            inner = (*loc, key.value if isinstance(key, yaml.ScalarNode) else "?")
            children += [(key, inner), (value, inner)]
        return children
    return []


class _Measure:
    """Sizes the node graph, each shared (aliased) node once, before anything is built.

    An alias bomb is a small graph with a huge expansion and a self-referencing alias an
    infinite one: both are refused here, in time linear in the size of the file.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.known: dict[int, tuple[int, int]] = {}
        """id(node) -> (nodes it expands to, levels below it)."""
        self.open: set[int] = set()

    def measure(self, node: yaml.Node, loc: Loc, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise self._too_deep(node, loc)
        known = self.known.get(id(node))
        if known is None:
            if id(node) in self.open:
                raise _refusal(
                    self.name,
                    node,
                    loc,
                    "a YAML alias (*name) repeats a value that contains it",
                    "an alias cannot refer to the list or mapping it sits in; write values out",
                )
            self.open.add(id(node))
            size, height = 1, 0
            for child, child_loc in _children(node, loc):
                size += self.measure(child, child_loc, depth + 1)
                height = max(height, self.known[id(child)][1] + 1)
            self.open.discard(id(node))
            known = self.known[id(node)] = (size, height)
        if depth + known[1] > MAX_DEPTH:
            raise self._too_deep(node, loc)
        if known[0] > MAX_NODES:
            raise _refusal(
                self.name,
                node,
                loc,
                f"the document expands to more than {MAX_NODES:,} values",
                "YAML aliases (*name) that repeat each other blow up; write values out",
            )
        return known[0]

    def _too_deep(self, node: yaml.Node, loc: Loc) -> ConfigError:
        return _refusal(
            self.name,
            node,
            loc[:3],
            f"nested more than {MAX_DEPTH} levels deep",
            "accounts.yaml needs only a few levels; check the brackets and aliases",
        )


class _Builder:
    """Turns composed YAML nodes into Python data, recording positions as it goes."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.keys: dict[Loc, Position] = {}
        self.values: dict[Loc, Position] = {}
        self.sources: dict[Loc, str] = {}
        self.problems: list[Problem] = []
        self.doubtful: set[Loc] = set()
        self.set_aside: list[Document] = []
        self.constructor = yaml.SafeLoader("")

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.values.setdefault(loc, position(node.start_mark))
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, loc)
        if node.tag not in PLAIN_TAGS:
            raise self._bad_tag(node, loc)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc)
        return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]

    def _bad_tag(self, node: yaml.Node, loc: Loc) -> ConfigError:
        return _refusal(
            self.name,
            node,
            loc,
            f"the YAML tag {_short(node.tag)} is not allowed",
            "accounts.yaml holds plain values only; remove the tag",
        )

    def _scalar(self, node: yaml.Node, loc: Loc) -> Any:
        try:
            value = self.constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError:
            raise self._bad_tag(node, loc) from None
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
            where = position(key_node.start_mark)
            if key in seen:
                self._repeated(key_node, value_node, (*loc, key), seen[key][0])
                continue
            seen[key] = where
            self.keys[(*loc, key)] = where
            result[key] = self.build(value_node, (*loc, key))
        for key_node, value_node in merged:
            key = self._key(key_node, loc)
            if key not in result:
                self.keys[(*loc, key)] = position(key_node.start_mark)
                result[key] = self.build(value_node, (*loc, key))
        return result

    def _repeated(
        self, key_node: yaml.Node, value_node: yaml.Node, loc: Loc, first_line: int
    ) -> None:
        """A key written again at `loc`: a problem; its value is set aside, the first kept."""
        where = position(key_node.start_mark)
        self.problems.append(
            Problem(
                self.name,
                *where,
                dotted(loc),
                f"duplicate key {loc[-1]!r} (first defined on line {first_line})",
                "YAML would silently keep only the last one: remove one of them",
            )
        )
        self.doubtful.add(loc)
        aside = _Builder(self.name)
        aside.keys.update(
            {p: self.keys[p] for n in range(1, len(loc)) if (p := loc[:n]) in self.keys}
        )
        aside.keys[loc] = where
        value = aside.build(value_node, loc)
        self.problems += aside.problems
        self.doubtful |= aside.doubtful
        self.set_aside += aside.set_aside
        data: Any = value
        for part in reversed(loc):
            data = {part: data}
        self.set_aside.append(Document(self.name, data, aside.keys, aside.values, aside.sources))

    def _key(self, node: yaml.Node, loc: Loc) -> str:
        if not isinstance(node, yaml.ScalarNode):
            kind = "a mapping" if isinstance(node, yaml.MappingNode) else "a list"
            raise _refusal(
                self.name,
                node,
                loc,
                f"a key is {kind}, not a name",
                "write a plain name: key: value",
            )
        key = self._scalar(node, (*loc, node.value))
        if isinstance(key, str):
            return key
        raise _refusal(
            self.name,
            node,
            (*loc, node.value),
            f"the key {node.value} reads as {type_name(key)}, not a name",
            f'quote it: "{node.value}"',
        )

    def _merge_sources(self, node: yaml.Node, loc: Loc) -> list[tuple[yaml.Node, yaml.Node]]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        pairs: list[tuple[yaml.Node, yaml.Node]] = []
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise _refusal(
                    self.name,
                    source,
                    (*loc, "<<"),
                    "a merge key '<<' needs a mapping (or a list of mappings)",
                    "merge an anchored mapping: <<: *name",
                )
            own = [(key, value) for key, value in source.value if key.tag != MERGE_TAG]
            inherited = [
                pair
                for key, value in source.value
                if key.tag == MERGE_TAG
                for pair in self._merge_sources(value, loc)
            ]
            pairs += own + inherited  # the first of two equal keys wins, as in the source
        return pairs
