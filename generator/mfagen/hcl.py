"""Helpers that lay values out as HCL the way `terraform fmt` would."""

from __future__ import annotations

import json
import re
from json.encoder import encode_basestring
from typing import Any

_ATTRIBUTE = re.compile(r'(?P<indent> *)(?P<key>[A-Za-z_][\w-]*|"[^"]*") = (?P<value>.*)')
_HEREDOC = re.compile(r"<<-?(?P<marker>[A-Z]+)$")


def escape_template(text: str) -> str:
    """Keep `${...}` and `%{...}` literal in HCL strings and heredocs (IAM's policy variables)."""
    return text.replace("${", "$${").replace("%{", "%%{")


def string(value: str) -> str:
    """An HCL quoted string literal: JSON's, which HCL's is. json.dumps(value,
    ensure_ascii=False) calls this very encoder, behind its own dispatch."""
    return escape_template(encode_basestring(value))


def value(data: Any) -> str:
    """A one-line HCL expression for a string, number, boolean or list of those."""
    if isinstance(data, bool):
        return "true" if data else "false"
    if isinstance(data, int):
        return str(data)
    if isinstance(data, str):
        return string(data)
    if isinstance(data, list | tuple):
        return "[" + ", ".join(value(item) for item in data) + "]"
    if isinstance(data, dict):
        if not data:
            return "{}"
        return "{ " + ", ".join(f"{string(k)} = {value(v)}" for k, v in data.items()) + " }"
    raise TypeError(f"no HCL form for {type(data).__name__}")


def heredoc(document: Any, indent: int) -> str:
    """A JSON document as an indented heredoc: `<<-EOT`, the JSON, then `EOT`."""
    pad = " " * indent
    body = escape_template(json.dumps(document, indent=2, ensure_ascii=False))
    lines = "\n".join(pad + "  " + line for line in body.splitlines())
    return f"<<-EOT\n{lines}\n{pad}EOT"


def align(text: str) -> str:
    """Align `=` of consecutive one-line attributes at one indentation, as `terraform fmt` does.

    A heredoc's body does not break a run; a blank line, a comment, a block or an attribute
    whose value opens a bracket does.
    """
    lines = text.split("\n")
    run: list[tuple[int, re.Match[str]]] = []
    marker: str | None = None

    def flush() -> None:
        width = max((len(match["key"]) for _, match in run), default=0)
        for number, match in run:
            lines[number] = f"{match['indent']}{match['key'].ljust(width)} = {match['value']}"
        run.clear()

    for number, line in enumerate(lines):
        if marker is not None:
            if line.strip() == marker:
                marker = None
            continue
        match = _ATTRIBUTE.fullmatch(line)
        if match is None or match["value"].endswith(("{", "[", "(")):
            flush()
            continue
        if run and run[0][1]["indent"] != match["indent"]:
            flush()
        run.append((number, match))
        heredoc_start = _HEREDOC.search(match["value"])
        if heredoc_start:
            marker = heredoc_start["marker"]
    flush()
    return "\n".join(lines)
