"""Shared fixtures: the real ~/.aws is off limits, and golden files can be refreshed."""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite golden files (expected output trees and messages) from the current code.",
    )


REQUIRED_MARKERS = frozenset({"terraform", "e2e"})


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Where CI promises Terraform (MFAGEN_REQUIRE_TERRAFORM=1), a skipped real-tool test fails."""
    report = yield
    promised = os.environ.get("MFAGEN_REQUIRE_TERRAFORM", "").lower() in {"1", "true", "yes"}
    real_tools = any(item.get_closest_marker(name) for name in REQUIRED_MARKERS)
    if promised and real_tools and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped although MFAGEN_REQUIRE_TERRAFORM is set: {report.longrepr}"
    return report


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(autouse=True)
def _no_real_aws_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Point HOME and the AWS config paths into a temporary folder for every test.

    Tests that need AWS files write them there; nothing can read or change the real ~/.aws.
    """
    real = Path.home() / ".aws"
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / ".aws" / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / ".aws" / "credentials"))
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    original_open = Path.open

    def guarded_open(self: Path, *args: object, **kwargs: object) -> object:
        if real in self.resolve().parents or self.resolve() == real:
            raise AssertionError(f"a test touched the real {real}")
        return original_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", guarded_open)
    assert os.environ["HOME"] == str(home)
