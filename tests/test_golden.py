"""`mfagen render` writes the committed golden trees, byte for byte.

Refresh them after an intended change with: pytest tests/test_golden.py --update-golden
"""

from __future__ import annotations

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


@pytest.mark.parametrize("case", sorted(CASES))
def test_rendering_is_deterministic(case: str) -> None:
    config, _ = CASES[case]
    built = api.validate(config).plan
    assert api.render_files(built) == api.render_files(api.validate(config).plan)
