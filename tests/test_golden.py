"""`mfagen render` writes the committed golden trees, byte for byte.

Refresh them after an intended change with: pytest tests/test_golden.py --update-golden
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mfagen import api
from tests.golden import CASES


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and ".terraform" not in path.parts
    }


@pytest.mark.parametrize("case", sorted(CASES))
def test_rendered_output_matches_the_golden_tree(
    case: str, update_golden: bool, tmp_path: Path
) -> None:
    config, golden = CASES[case]
    out = golden if update_golden else tmp_path / "output"
    api.render_to(config, out)  # what `mfagen render` does: plan, render, audit, write
    expected = _tree(out)
    actual = _tree(golden)
    assert sorted(actual) == sorted(expected), "files differ: run pytest --update-golden"
    for path, content in expected.items():
        assert actual[path] == content, f"{golden / path} differs: run pytest --update-golden"


RENDER = """
import base64, json, sys
from pathlib import Path
from mfagen import api
files = api.render_files(api.validate(Path(sys.argv[1])).plan)
json.dump({path: base64.b64encode(content).decode() for path, content in files.items()}, sys.stdout)
"""
"""Render a config in a fresh interpreter, its files' bytes as JSON on stdout."""
HASH_SEEDS = ("1", "2")


def rendered_with_hash_seed(config: Path, seed: str) -> dict[str, bytes]:
    """The files of `config`, rendered by an interpreter whose str hashes use `seed`: the order
    of every set of strings (and so of anything built by iterating one) follows it."""
    result = subprocess.run(
        [sys.executable, "-c", RENDER, str(config)],
        env={**os.environ, "PYTHONHASHSEED": seed},
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    return {path: base64.b64decode(text) for path, text in json.loads(result.stdout).items()}


@pytest.mark.parametrize("case", sorted(CASES))
def test_rendering_does_not_depend_on_the_hash_seed(case: str) -> None:
    config, _ = CASES[case]
    first, second = (rendered_with_hash_seed(config, seed) for seed in HASH_SEEDS)
    here = api.render_files(api.validate(config).plan)  # this process's own (random) seed

    for other in (second, here):
        differ = sorted(
            path for path in first.keys() | other.keys() if first.get(path) != other.get(path)
        )
        assert not differ, f"these files depend on the hash seed: {differ}"
