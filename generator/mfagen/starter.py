"""`mfagen schema` and `mfagen init`: the format described for editors, and a first file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mfagen import atomic, render
from mfagen.errors import OutputError
from mfagen.models import PRESETS, Config


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
    text: str = template.render(
        identity_id=identity_id, organization=organization, region=region, presets=list(PRESETS)
    )
    return text


SCHEMA_FILE = "accounts.schema.json"
GITIGNORE = (
    "# Terraform's working folder and state: never commit them (the state holds every ARN and",
    "# tag; keep it in a remote backend). Do commit output/terraform/.terraform.lock.hcl: it",
    "# pins the provider every plan and apply uses.",
    ".terraform/",
    "*.tfstate",
    "*.tfstate.*",
    "*.tfplan",
    "crash.log",
    "# Backups install-profile leaves next to an AWS config file, should one land here",
    "*.mfagen-backup",
)
"""The .gitignore of a GitOps repository that holds accounts.yaml and mfagen's output."""


def init(path: Path, identity_id: str, *, force: bool) -> list[Path]:
    """Write the starter accounts.yaml, the schema its first line names, and a .gitignore
    beside them (an existing .gitignore gains the lines it lacks). Refuse to overwrite an
    accounts.yaml, or a schema that differs, unless `force`; return what was written."""
    if path.exists() and not force:
        raise OutputError("already exists", "pass --force to overwrite it", str(path))
    if path.is_dir():
        raise OutputError("is a folder", "name a file, e.g. accounts.yaml", str(path))
    schema = path.with_name(SCHEMA_FILE)
    schema_bytes = schema_text().encode("utf-8")
    if schema.exists() and not force and _read(schema) != schema_bytes:
        raise OutputError("already exists and differs", "pass --force to overwrite it", str(schema))
    gitignore = path.with_name(".gitignore")
    ignored = _read(gitignore).decode("utf-8", "replace") if gitignore.exists() else ""
    have = set(ignored.splitlines())
    missing = [line for line in GITIGNORE if line not in have]
    written = [path]
    _write(path, starter(identity_id).encode("utf-8"))
    if _read(schema) != schema_bytes:
        _write(schema, schema_bytes)
        written.append(schema)
    if any(not line.startswith("#") for line in missing):
        separator = "\n" if ignored and not ignored.endswith("\n") else ""
        _write(gitignore, (ignored + separator + "\n".join(missing) + "\n").encode("utf-8"))
        written.append(gitignore)
    return written


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""
    except OSError as exc:
        raise OutputError(f"cannot read: {exc.strerror}", "", str(path)) from None


def _write(path: Path, content: bytes) -> None:
    """Replace `path` atomically (atomic.write): a crash leaves the old file or the new one."""
    try:
        atomic.write(path, content)
    except OSError as exc:
        raise OutputError(f"cannot write: {exc.strerror}", "", str(path)) from None
