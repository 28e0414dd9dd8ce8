"""Load accounts.yaml into validated models, translating every error into a positioned Problem."""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from mfagen import credentials, rules, salvage
from mfagen.errors import ConfigError, Problem
from mfagen.loader import Document, Loc, load_file, type_name
from mfagen.models import Config
from mfagen.wording import did_you_mean


@dataclass(frozen=True)
class Loaded:
    """A valid configuration, the document it came from, and warnings worth showing."""

    config: Config
    document: Document
    warnings: tuple[Problem, ...]


def load(path: Path) -> Loaded:
    """Read, parse and validate `path`; raise ConfigError listing every problem found (keys
    written twice, values the models refuse, rules across values), with the warnings."""
    document = load_file(path)
    leaks = credentials.problems(document)
    if leaks:  # alone, before any message that could echo the value
        raise ConfigError(leaks)
    problems = list(document.problems)
    try:
        config = Config.model_validate(document.data)
    except ValidationError as exc:
        refused = exc.errors()
        problems += [_translate(error, document) for error in refused]
        found = salvage.findings(document.data, refused, document.doubtful)
        raise ConfigError(
            problems + _placed(found.errors, document), _placed(found.warnings, document)
        ) from None
    found = rules.run(config).sparing(document.doubtful)
    problems += _placed(found.errors, document)
    warnings = tuple(sorted(_placed(found.warnings, document), key=Problem.sort_key))
    if problems:
        raise ConfigError(problems, warnings)
    return Loaded(config, document, warnings)


def _placed(findings: list[rules.Finding], document: Document) -> list[Problem]:
    return [finding.problem_in(document) for finding in findings]


def _translate(error: ErrorDetails, document: Document) -> Problem:
    loc: Loc = tuple(error["loc"])
    of_key = "[key]" in loc
    if of_key:
        loc = loc[: loc.index("[key]")]
    message, hint = _describe(error, loc)
    if error["type"] == "unquoted_number":
        message, hint = _unquoted(loc, message, document.sources.get(loc, ""))
    if error["type"] in {"extra_forbidden"}:
        of_key = True
    return document.problem(loc, message, hint, of_key=of_key)


def _describe(error: ErrorDetails, loc: Loc) -> tuple[str, str]:  # noqa: PLR0911 - one branch per error kind
    """The message and hint for one pydantic error."""
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx", {})
    if kind == "extra_forbidden":
        return f"unknown key {loc[-1]!r}", did_you_mean(loc[-1], _fields_at(loc[:-1]))
    if kind == "missing":
        return f"missing required key {loc[-1]!r}", _missing_hint(str(loc[-1]))
    if kind in {"mfagen", "unquoted_number"}:
        return error["msg"], str(ctx.get("hint", ""))
    if kind == "literal_error" and loc == ("version",):
        hint = "write it without quotes" if value == "1" else "this mfagen reads version 1 files"
        return f"unsupported version {value!r}", f"{hint}: version: 1"
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        choices = [part.strip(" '") for part in expected.replace(" or ", ",").split(",")]
        return f"{value!r} is not allowed here", did_you_mean(value, [c for c in choices if c])
    if kind in {"too_short", "string_too_short"}:
        hint = _missing_hint(str(loc[-1])) or "give at least one value or remove the key"
        return "must not be empty", hint
    if kind == "string_too_long":
        return error["msg"].lower(), "shorten it"
    return _type_message(kind, value)


def _unquoted(loc: Loc, message: str, text: str) -> tuple[str, str]:
    """An id YAML took for a number: say what it lost, and how to write it."""
    digits = text.replace("_", "")
    if digits.isdigit() and digits.startswith("0") and len(digits) == 12:
        message += " (leading 0: YAML 1.1 reads it as octal)"
    elif digits.isdigit() and len(digits) < 12:
        missing = 12 - len(digits)
        plural = "s" * (missing > 1)
        message += f" ({missing} digit{plural} short of 12: leading zero{plural} lost?)"
    example = digits.zfill(12) if digits.isdigit() else text
    return message, f'quote it as AWS shows it: {loc[-1]}: "{example}"'


_EXPECTED = {
    "string_type": ("a string", "quote the value"),
    "int_type": ("an integer", ""),
    "bool_type": ("true or false", "write true or false without quotes"),
    "list_type": ("a list", "write a YAML list: [a, b] or one '- item' per line"),
    "dict_type": ("a mapping", "write 'key: value' pairs, indented below this key"),
    "model_type": ("a mapping", "write 'key: value' pairs, indented below this key"),
    "model_attributes_type": ("a mapping", "write 'key: value' pairs, indented below this key"),
}


def _type_message(kind: str, value: Any) -> tuple[str, str]:
    expected, hint = _EXPECTED.get(kind, ("", ""))
    if not expected:
        return (f"invalid value: {kind}", "")
    if kind == "string_type" and isinstance(value, bool):
        hint = "YAML reads yes/no/on/off/true/false as booleans: quote the value"
    elif kind == "string_type" and isinstance(value, int | float):
        hint = "YAML read a number: quote the value"
    return (f"expected {expected}, got {type_name(value)}", hint)


def _missing_hint(key: str) -> str:
    hints = {
        "version": "add 'version: 1' at the top",
        "organization": "add 'organization: <name>'; it prefixes every profile name",
        "accounts": 'list at least one account: accounts: {main: {id: "123456789012"}}',
        "id": 'give the 12-digit account id as a quoted string: id: "123456789012"',
    }
    return hints.get(key, "")


def _fields_at(loc: Loc) -> list[str]:
    """The keys allowed in the mapping at `loc` (model fields), for did-you-mean hints."""
    annotation: Any = Config
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if not isinstance(part, str) or part not in annotation.model_fields:
                return []
            annotation = annotation.model_fields[part].annotation
        else:
            origin = typing.get_origin(annotation)
            args = typing.get_args(annotation)
            if origin in {dict, list} and args:
                annotation = args[-1]
            else:
                return []
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """Strip Optional[...] and Annotated[...] from an annotation."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in {typing.Union, types.UnionType}:
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation
