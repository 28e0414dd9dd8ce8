"""The configuration reference (docs/reference.md), written from accounts.yaml's JSON Schema.

The schema comes from the models, whose field docstrings are the descriptions, so the reference
cannot drift from what `validate` accepts; a test compares the committed page with this one.
Refresh it with: python -m mfagen.reference > docs/reference.md
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from mfagen.starter import json_schema

SECTIONS = (
    ("Config", ""),
    ("Defaults", "defaults."),
    ("Account", "accounts.<name>."),
    ("Tier", "tiers.<name>."),
    ("Statement", "tiers.<name>.statements[]."),
    ("User", "users.<name>."),
    ("Naming", "naming."),
    ("Terraform", "terraform."),
    ("Backend", "terraform.backend."),
    ("Profiles", "profiles."),
)
"""(model, key prefix) in the order a reader meets them in accounts.yaml."""


def markdown() -> str:
    schema = json_schema()
    models: dict[str, Any] = {"Config": schema, **schema["$defs"]}
    lines = [
        "# Configuration reference",
        "",
        (
            "<!-- Written by `python -m mfagen.reference > docs/reference.md` from the models; "
            "do not edit. -->"
        ),
        "",
        (
            "Every key `accounts.yaml` accepts (version 1). Unknown keys are refused with a "
            "did-you-mean; [the guide](configuration.md) shows them at work. Editors check the "
            "file with `accounts.schema.json` (`mfagen schema`)."
        ),
    ]
    for model, prefix in SECTIONS:
        data = models[model]
        required = set(data.get("required", ()))
        lines += ["", f"## {model}", "", _text(data.get("description", "")), ""]
        lines += ["| key | type | default | description |", "|---|---|---|---|"]
        for key, field in data["properties"].items():
            default = "required" if key in required else _default(field)
            cells = (f"`{prefix}{key}`", _type(field), default, _text(field.get("description", "")))
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def _text(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _default(field: dict[str, Any]) -> str:
    if "default" not in field or field["default"] is None:
        return "-"
    if "$ref" in field:
        return "its keys' defaults"
    value = field["default"]
    if value in ([], {}):
        return "empty"
    return f"`{value if isinstance(value, str) else json.dumps(value)}`"


def _type(field: dict[str, Any]) -> str:
    """A short type: `string`, `list of string`, one of `a`, `b`, a model's name."""
    options = [f for f in field.get("anyOf", [field]) if f.get("type") != "null"]
    return " or ".join(_one(option) for option in options) or "any"


def _one(field: dict[str, Any]) -> str:
    if "$ref" in field:
        name = field["$ref"].rsplit("/", 1)[-1]
        return f"[{name.lower()}](#{name.lower()})"
    if "enum" in field or "const" in field:
        values = field.get("enum", [field.get("const")])
        return "one of " + ", ".join(f"`{v}`" for v in values)
    kind = field.get("type")
    if kind == "array":
        return f"list of {_type(field.get('items', {}))}"
    if kind == "object":
        values = [*field.get("patternProperties", {}).values(), field.get("additionalProperties")]
        found = [v for v in values if isinstance(v, dict)]
        return f"map of name to {_type(found[0])}" if found else "map"
    if isinstance(kind, str):
        return kind
    return _type(field) if "anyOf" in field else "any"


if __name__ == "__main__":
    sys.stdout.write(markdown())
