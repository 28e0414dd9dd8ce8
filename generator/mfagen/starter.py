"""`mfagen schema` and `mfagen init`: the format described for editors, and a first file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from mfagen import render
from mfagen.errors import OutputError
from mfagen.models import Config


def json_schema() -> dict[str, Any]:
    """The JSON Schema of accounts.yaml, from the models."""
    schema = Config.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "mfagen accounts.yaml (version 1)",
        **{key: value for key, value in schema.items() if key != "title"},
    }


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=False) + "\n"


def starter(identity_id: str, organization: str = "my-org", region: str = "eu-west-1") -> str:
    template = render.environment().get_template("init/accounts.yaml.j2")
    text: str = template.render(identity_id=identity_id, organization=organization, region=region)
    return text


def init(path: Path, identity_id: str, *, force: bool) -> Path:
    """Write the starter accounts.yaml; refuse to overwrite an existing file unless `force`."""
    if path.exists() and not force:
        raise OutputError(str(path), "already exists", "pass --force to overwrite it")
    if path.is_dir():
        raise OutputError(str(path), "is a folder", "name a file, e.g. accounts.yaml")
    content = starter(identity_id).encode("utf-8")
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(content)
        temporary.replace(path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise OutputError(str(path), f"cannot write: {exc.strerror}") from None
    return path
