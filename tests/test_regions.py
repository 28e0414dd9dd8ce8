"""Regions: a misspelt one gets a did-you-mean; an unknown one warns and never blocks."""

from __future__ import annotations

import json
from pathlib import Path

import botocore
import pytest
from typer.testing import CliRunner

from mfagen import regions
from mfagen.cli import app
from tests.helpers import minimal, write_config

runner = CliRunner()


@pytest.mark.parametrize(
    ("region", "hint"),
    [
        ("eu-westt-1", "did you mean 'eu-west-1'? "),
        ("ap-southeest-2", "did you mean 'ap-southeast-2'? "),
        ("xx-nowhere-1", ""),
    ],
)
def test_an_unknown_region_is_a_warning(tmp_path: Path, region: str, hint: str) -> None:
    data = minimal()
    data["users"]["alice"]["region"] = region
    path = write_config(tmp_path, data)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    line = next(n for n, t in enumerate(path.read_text().splitlines(), 1) if region in t)
    assert result.stderr == (
        f"{path}:{line}:13: warning: users.alice.region: unknown region {region!r}\n"
        f"  hint: {hint}(a region AWS opened recently may be missing from mfagen's list: then "
        "ignore this warning)\n"
    )


def test_known_regions_pass_silently(tmp_path: Path) -> None:
    data = minimal(defaults={"region": "mx-central-1"})
    result = runner.invoke(app, ["validate", str(write_config(tmp_path, data))])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_every_known_region_is_one_of_botocores() -> None:
    endpoints = Path(botocore.__file__).parent / "data" / "endpoints.json"
    partitions = json.loads(endpoints.read_text())["partitions"]
    botocores = {name for p in partitions for name in p["regions"]}
    assert regions.KNOWN.issubset(botocores)
