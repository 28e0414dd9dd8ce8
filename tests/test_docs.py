"""The documentation: the README for users, docs/ built by mkdocs without a broken link, and a
configuration reference that matches the models."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from mfagen import models, reference
from tests.helpers import ROOT

README = ROOT / "README.md"
_LINK = re.compile(r"\]\((?!https?://)([^)#\s]+)(?:#[^)]*)?\)")


def test_the_configuration_reference_is_fresh() -> None:
    committed = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    assert committed == reference.markdown(), "run: python -m mfagen.reference > docs/reference.md"


def model_keys(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    """Every key `model` accepts, dotted as the reference writes it (`users.<name>.tiers`,
    `tiers.<name>.statements[].actions`), found by walking the models' fields themselves,
    not the JSON Schema the reference is written from."""
    for name, field in model.model_fields.items():
        key = prefix + (field.alias or name)
        yield key
        for inner, path in _models_in(field.annotation):
            yield from model_keys(inner, f"{key}{path}.")


def _models_in(annotation: Any, path: str = "") -> Iterator[tuple[type[BaseModel], str]]:
    """The models a field's type holds, each with how a key reaches it (`[]`, `.<name>`)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation, path
        return
    arguments = get_args(annotation)
    if get_origin(annotation) in (list, tuple):
        for argument in arguments:
            yield from _models_in(argument, f"{path}[]")
    elif get_origin(annotation) is dict:
        yield from _models_in(arguments[1], f"{path}.<name>")
    else:  # a union, or Annotated[type, constraints]
        for argument in arguments:
            yield from _models_in(argument, path)


def test_the_reference_names_every_key_of_the_models() -> None:
    keys = list(model_keys(models.Config))
    assert {
        "users.<name>.enrolment",
        "defaults.enforce_mfa",
        "terraform.backend.config",
        "tiers.<name>.statements[].not_actions",
        "profiles.credential_process",
    } <= set(keys)  # the walk reaches every nesting: maps, lists, models
    text = reference.markdown()
    missing = [key for key in keys if f"`{key}`" not in text]
    assert not missing, f"docs/reference.md lacks {missing}"


def test_mkdocs_builds_strictly(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=300,
        env={"PATH": "/usr/bin:/bin", "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert (tmp_path / "reference" / "index.html").is_file()


def test_the_readme_is_short_and_links_to_what_exists() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 250
    for target in _LINK.findall(text):
        assert (ROOT / target).exists(), target


def test_the_readme_first_screen_says_what_and_for_whom_then_the_two_commands() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    first = "\n".join(lines[:12])
    assert "MFA" in first
    assert "For platform teams" in first
    heading = lines.index("## Try it from a clone")
    assert heading < 60
    block = "\n".join(lines[heading : heading + 14])
    assert ".venv/bin/mfagen render accounts.yaml --out output" in block
    assert "pip install -q -e '.[test]' && .venv/bin/pytest" in block
