"""Locate Terraform and the local AWS provider mirror; run Terraform in tests.

Stdlib + pytest only, so any test module (e2e or `terraform validate` tests) can import it.

When Terraform or the provider mirror is missing, tests are skipped, unless
``MFAGEN_REQUIRE_TERRAFORM=1`` is set (CI), in which case they fail.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

REQUIRE_TERRAFORM_ENV = "MFAGEN_REQUIRE_TERRAFORM"
PROVIDER_MIRROR_ENV = "MFAGEN_TF_PROVIDER_MIRROR"
AWS_PROVIDER_SOURCE = "registry.terraform.io/hashicorp/aws"

KNOWN_MIRROR_ROOTS: tuple[Path, ...] = (
    Path("/opt/tf-plugins"),
    Path.home() / ".terraform.d" / "plugins",
    Path("/usr/share/terraform/plugins"),
    Path("/usr/local/share/terraform/plugins"),
)

# <root>/registry.terraform.io/hashicorp/aws/<version>/<os>_<arch>/terraform-provider-aws_*
_MIRROR_ROOT_DEPTH = 5  # index into Path.parents: the root is six levels above the binary
_ARCH_ALIASES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
_DEFAULT_TIMEOUT_S = 300.0  # the slowest call here (apply of 330 resources) takes ~35 s


@dataclass(frozen=True)
class TerraformTooling:
    """A usable terraform binary plus a filesystem mirror holding the AWS provider."""

    terraform: Path
    mirror: Path
    provider_binary: Path

    @property
    def provider_version(self) -> str:
        return self.provider_binary.parent.parent.name


def terraform_required() -> bool:
    return os.environ.get(REQUIRE_TERRAFORM_ENV, "").strip().lower() in {"1", "true", "yes"}


def tooling_unavailable(reason: str) -> NoReturn:
    """Skip the test, or fail it when the environment promises Terraform is present."""
    if terraform_required():
        pytest.fail(f"{reason} (and {REQUIRE_TERRAFORM_ENV} is set)", pytrace=False)
    pytest.skip(reason)


def current_platform() -> str:
    machine = platform.machine().lower()
    return f"{platform.system().lower()}_{_ARCH_ALIASES.get(machine, machine)}"


def provider_binaries(root: Path, platform_dir: str) -> list[Path]:
    """Unpacked AWS provider binaries for ``platform_dir`` under a mirror root, newest last."""
    pattern = f"{AWS_PROVIDER_SOURCE}/*/{platform_dir}/terraform-provider-aws_*"
    return sorted(path for path in root.glob(pattern) if path.is_file())


def find_provider_mirror(
    roots: Iterable[Path], platform_dir: str | None = None
) -> tuple[Path, Path] | None:
    """Return ``(mirror_root, provider_binary)`` for the first root holding the provider."""
    wanted = platform_dir or current_platform()
    for root in roots:
        binaries = provider_binaries(root, wanted)
        if binaries:
            binary = binaries[-1]
            return binary.parents[_MIRROR_ROOT_DEPTH], binary
    return None


def mirror_candidates() -> tuple[Path, ...]:
    explicit = os.environ.get(PROVIDER_MIRROR_ENV)
    if explicit:
        return (Path(explicit),)
    return KNOWN_MIRROR_ROOTS


def require_terraform_tooling() -> TerraformTooling:
    """Find terraform and the provider mirror, or skip/fail the calling test."""
    terraform = shutil.which("terraform")
    if terraform is None:
        tooling_unavailable("terraform binary not found on PATH")
    candidates = mirror_candidates()
    found = find_provider_mirror(candidates)
    if found is None:
        searched = ", ".join(str(root) for root in candidates)
        tooling_unavailable(
            f"no {AWS_PROVIDER_SOURCE} provider for {current_platform()} in a filesystem "
            f"mirror (searched: {searched}; set {PROVIDER_MIRROR_ENV} to point at one)"
        )
    mirror, binary = found
    return TerraformTooling(terraform=Path(terraform), mirror=mirror, provider_binary=binary)


def render_cli_config(mirror: Path) -> str:
    """A Terraform CLI config that installs the AWS provider from ``mirror`` only.

    Terraform symlinks unpacked providers from a filesystem mirror into `.terraform/`
    (no copy), so no ``plugin_cache_dir`` is needed.
    """
    return (
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path    = {_hcl_string(str(mirror))}\n"
        f"    include = [{_hcl_string(AWS_PROVIDER_SOURCE)}]\n"
        "  }\n"
        "}\n"
    )


def write_cli_config(directory: Path, mirror: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "terraform.tfrc"
    path.write_text(render_cli_config(mirror), encoding="utf-8")
    return path


def terraform_env(cli_config: Path) -> dict[str, str]:
    """Environment variables every Terraform subprocess in tests should get."""
    return {
        "TF_CLI_CONFIG_FILE": str(cli_config),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
    }


def _hcl_string(value: str) -> str:
    for raw, escaped in (("\\", "\\\\"), ('"', '\\"'), ("${", "$${"), ("%{", "%%{")):
        value = value.replace(raw, escaped)
    return f'"{value}"'


@dataclass(frozen=True)
class TerraformResult:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def describe(self) -> str:
        return (
            f"terraform {' '.join(self.args)} exited {self.returncode}\n"
            f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"
        )


@dataclass(frozen=True)
class Terraform:
    """Runs terraform in ``workdir`` with exactly ``env`` (nothing inherited)."""

    binary: Path
    workdir: Path
    env: Mapping[str, str]
    timeout_s: float = _DEFAULT_TIMEOUT_S

    def run(self, *args: str, ok_codes: Sequence[int] = (0,)) -> TerraformResult:
        try:
            completed = subprocess.run(
                [str(self.binary), *args],
                cwd=self.workdir,
                env=dict(self.env),
                capture_output=True,
                text=True,
                timeout=self.timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            pytest.fail(
                f"terraform {' '.join(args)} timed out after {self.timeout_s:.0f}s; "
                f"its output ended with:\n{_tail(error.stdout)}\n--- stderr ---\n"
                f"{_tail(error.stderr)}",
                pytrace=False,
            )
        result = TerraformResult(args, completed.returncode, completed.stdout, completed.stderr)
        if result.returncode not in ok_codes:
            pytest.fail(result.describe(), pytrace=False)
        return result

    def init(self) -> TerraformResult:
        return self.run("init", "-input=false", "-no-color")

    def validate(self) -> TerraformResult:
        return self.run("validate", "-no-color")

    def apply(self) -> TerraformResult:
        """With Terraform's default of 10 changes at a time, as a platform team runs it."""
        return self.run("apply", "-auto-approve", "-input=false", "-no-color")

    def plan(self) -> TerraformResult:
        """``plan -detailed-exitcode``: returncode 0 = converged, 2 = changes pending."""
        return self.run("plan", "-detailed-exitcode", "-input=false", "-no-color", ok_codes=(0, 2))


def _tail(output: str | bytes | None, limit: int = 4000) -> str:
    if isinstance(output, bytes):
        output = output.decode("utf-8", errors="replace")
    return (output or "")[-limit:]


TerraformFactory = Callable[[Path], Terraform]
