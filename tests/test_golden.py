"""Rendered output equals the committed golden trees, byte for byte.

Refresh them after an intended change with: pytest tests/test_golden.py --update-golden
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mfagen import api, writer
from tests.golden import CASES


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and ".terraform" not in path.parts
    }


@pytest.mark.parametrize("case", sorted(CASES))
def test_rendered_output_matches_the_golden_tree(case: str, update_golden: bool) -> None:
    config, golden = CASES[case]
    _, files = api.render_files(config)
    if update_golden:
        writer.write(golden, files)
    expected = files
    actual = _tree(golden)
    assert sorted(actual) == sorted(expected), "files differ: run pytest --update-golden"
    for path, content in expected.items():
        assert actual[path] == content, f"{golden / path} differs: run pytest --update-golden"


@pytest.mark.parametrize("case", sorted(CASES))
def test_rendering_is_deterministic(case: str) -> None:
    config, _ = CASES[case]
    assert api.render_files(config)[1] == api.render_files(config)[1]
