"""Regions: every region-valued field takes a region AWS has, or one named under new_regions.

mfagen's list (generator/mfagen/regions.py) is generated from botocore's endpoint data, here:

    pytest tests/test_regions.py --update-golden

and `test_the_list_is_botocores` fails as soon as the installed botocore knows other regions.
The test extra pins botocore, so a botocore release changes nothing until the pin moves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import botocore
import botocore.loaders
import pytest
from typer.testing import CliRunner

from mfagen import models, regions
from mfagen.cli import app
from tests.helpers import ROOT, minimal, write_config

runner = CliRunner()
MODULE = ROOT / "generator" / "mfagen" / "regions.py"


def partitions() -> dict[str, str]:
    """Region -> its partition, for every region in the installed botocore's endpoint data."""
    endpoints = botocore.loaders.create_loader().load_data("endpoints")
    return {
        region: partition["partition"]
        for partition in endpoints["partitions"]
        for region in partition["regions"]
    }


def botocores() -> frozenset[str]:
    """Every region of the `aws` partition: mfagen writes `arn:aws:` ARNs, which China
    (aws-cn), GovCloud (aws-us-gov) and the other partitions do not use."""
    return frozenset(r for r, partition in partitions().items() if partition == "aws")


def others() -> dict[str, str]:
    return {r: partition for r, partition in partitions().items() if partition != "aws"}


def module_text(known: frozenset[str], elsewhere: dict[str, str], version: str) -> str:
    """regions.py as generated from `known`, the regions of botocore `version` in the aws
    partition, and `elsewhere`, those of other partitions (region -> partition)."""
    items = "".join(f'        "{name}",\n' for name in sorted(known))
    other = "".join(f'    "{name}": "{elsewhere[name]}",\n' for name in sorted(elsewhere))
    return (
        '"""The AWS regions mfagen knows: every region of the `aws` partition in botocore\'s\n'
        "endpoint data (mfagen writes `arn:aws:` ARNs, which other partitions do not use).\n"
        "\n"
        f"Generated from botocore {version} by `pytest tests/test_regions.py --update-golden`; do\n"
        "not edit. That test fails as soon as the installed botocore knows other regions. A\n"
        "region newer than this list is refused until mfagen knows it, unless accounts.yaml\n"
        "names it under `new_regions` (docs/configuration.md, Regions).\n"
        '"""\n'
        "\n"
        "from __future__ import annotations\n"
        "\n"
        f'SOURCE = "botocore {version}"\n'
        '"""Where the list comes from, for messages and docs."""\n'
        "\n"
        "KNOWN = frozenset(\n"
        "    {\n"
        f"{items}"
        "    }\n"
        ")\n"
        "OTHER_PARTITIONS = {\n"
        f"{other}"
        "}\n"
        '"""Regions of other partitions, by region: mfagen refuses them, naming the partition."""\n'
    )


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def test_the_list_is_botocores(update_golden: bool) -> None:
    installed = botocore.__version__
    if update_golden:
        taken_from = _release(regions.SOURCE.removeprefix("botocore "))
        assert _release(installed) >= taken_from, (
            f"botocore {installed} is older than {regions.SOURCE}: upgrade it first"
        )
        MODULE.write_text(module_text(botocores(), others(), installed), encoding="utf-8")
        return
    new, gone = sorted(botocores() - regions.KNOWN), sorted(regions.KNOWN - botocores())
    assert others() == regions.OTHER_PARTITIONS
    assert (new, gone) == ([], []), (
        f"botocore {installed} knows other regions than mfagen's list ({regions.SOURCE}): "
        "refresh it with pytest tests/test_regions.py --update-golden"
    )


def test_the_module_is_as_generated() -> None:
    version = regions.SOURCE.removeprefix("botocore ")
    expected = module_text(regions.KNOWN, regions.OTHER_PARTITIONS, version)
    assert MODULE.read_text(encoding="utf-8") == expected


def test_every_known_region_is_well_formed() -> None:
    assert [name for name in regions.KNOWN if not models._REGION.fullmatch(name)] == []


def validate(tmp_path: Path, data: dict[str, Any]) -> Any:
    return runner.invoke(app, ["validate", str(write_config(tmp_path, data))])


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


SOURCE = regions.SOURCE


def _with_region(place: str, region: str) -> dict[str, Any]:
    data = minimal()
    if place == "defaults":
        data["defaults"]["region"] = region
    elif place == "account":
        data["accounts"]["prod"]["region"] = region
    elif place == "user":
        data["users"]["alice"]["region"] = region
    else:
        config = {"bucket": "acme-state", "key": "mfagen.tfstate", place: region}
        data["terraform"] = {"backend": {"type": "s3", "config": config}}
    return data


PLACES = {
    "defaults": "defaults.region",
    "account": "accounts.prod.region",
    "user": "users.alice.region",
    "region": "terraform.backend.config.region",
    "sts_region": "terraform.backend.config.sts_region",
}


NEWER = f"A region newer than mfagen's list ({SOURCE}) goes under new_regions"


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize(
    ("region", "hint"),
    [
        ("eu-nrth-1", f"did you mean 'eu-north-1'? {NEWER}"),
        ("us-wst-2", f"did you mean 'us-west-2'? {NEWER}"),
        (
            "xx-nowhere-1",
            f"mfagen knows the regions of {SOURCE}; a newer region goes under new_regions",
        ),
    ],
)
def test_an_unknown_region_is_an_error_wherever_it_is(
    tmp_path: Path, place: str, region: str, hint: str
) -> None:
    path = write_config(tmp_path, _with_region(place, region))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    line = line_of(path, region)
    column = path.read_text().splitlines()[line - 1].index(region) + 1
    assert result.stderr == (
        f"{path}:{line}:{column}: error: {PLACES[place]}: unknown region {region!r}\n"
        f"  hint: {hint}\n"
        "mfagen: 1 error, nothing written\n"
    )


@pytest.mark.parametrize("place", PLACES)
def test_new_regions_lets_a_region_newer_than_the_list_through(tmp_path: Path, place: str) -> None:
    data = _with_region(place, "xx-nowhere-1")
    data["new_regions"] = ["xx-nowhere-1"]
    result = runner.invoke(app, ["validate", str(write_config(tmp_path, data))])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_a_new_region_mfagen_knows_now_is_a_warning(tmp_path: Path) -> None:
    data = minimal(new_regions=["xx-nowhere-1", "eu-west-1"])
    path = write_config(tmp_path, data)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    line = line_of(path, "- eu-west-1")
    assert result.stderr == (
        f"{path}:{line}:3: warning: new_regions[1]: 'eu-west-1' is a known region now\n"
        f"  hint: remove it from new_regions: mfagen's list ({SOURCE}) has it\n"
    )


def test_the_region_of_another_backend_is_its_own(tmp_path: Path) -> None:
    data = minimal()
    data["terraform"] = {"backend": {"type": "oss", "config": {"region": "cn-hangzhou"}}}
    result = runner.invoke(app, ["validate", str(write_config(tmp_path, data))])
    assert result.exit_code == 0, result.output


def test_known_regions_pass_silently(tmp_path: Path) -> None:
    data = minimal(defaults={"region": "mx-central-1"})
    data["accounts"]["prod"]["region"] = "ap-southeast-7"
    data["users"]["alice"]["region"] = "ca-west-1"
    result = runner.invoke(app, ["validate", str(write_config(tmp_path, data))])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("region", "partition"), [("us-gov-west-1", "aws-us-gov"), ("cn-north-1", "aws-cn")]
)
def test_a_region_of_another_partition_is_refused_by_its_partition(
    tmp_path: Path, region: str, partition: str
) -> None:
    """mfagen writes arn:aws: ARNs: IAM in China or GovCloud would refuse every one of them."""
    data = minimal()
    data["users"]["alice"]["region"] = region
    data["new_regions"] = [region]  # no way through: the partition, not the list, is wrong
    path = write_config(tmp_path, data)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    line = line_of(path, f"region: {region}")
    assert result.stderr.startswith(
        f"{path}:{line}:13: error: users.alice.region: {region!r} is a region of the "
        f"{partition} partition\n"
        "  hint: mfagen writes arn:aws: ARNs, for the regions of the aws partition only\n"
    )


def test_render_writes_no_profile_with_an_unknown_region(tmp_path: Path) -> None:
    path = write_config(tmp_path, _with_region("user", "us-wst-2"))
    result = runner.invoke(app, ["render", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "out").exists()


def test_a_region_of_another_partition_under_new_regions_is_refused_there(tmp_path: Path) -> None:
    data = minimal()
    data["new_regions"] = ["xx-newplace-1", "us-gov-west-1"]
    path = write_config(tmp_path, data)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    line = line_of(path, "us-gov-west-1")
    assert result.stderr.startswith(f"{path}:{line}:"), result.stderr
    assert "new_regions[1]: 'us-gov-west-1' is a region of the aws-us-gov partition" in (
        result.stderr
    )


def test_a_broken_backend_type_hides_no_region_typo_elsewhere(tmp_path: Path) -> None:
    """Only the backend's own region settings rest on its type."""
    data = _with_region("user", "us-eats-1")
    data["terraform"] = {"backend": {"type": ["s3"], "config": {"bucket": "b", "key": "k"}}}
    result = validate(tmp_path, data)
    assert result.exit_code == 2, result.output
    assert "terraform.backend.type" in result.stderr
    assert "users.alice.region: unknown region 'us-eats-1'" in result.stderr
