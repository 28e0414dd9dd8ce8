"""accounts.<name>.machine_users: carried into the module as output `machine_users`, which
the audit reads back; a config without them renders no such output."""

from __future__ import annotations

from pathlib import Path

import pytest

from mfagen import api
from mfagen.audit import AuditInputError, read_folder
from mfagen.audit.read import terraform

from .conftest import CONFIG, DEV

OUTPUT = """\
# IAM users kept on purpose outside mfagen (accounts.yaml: accounts.<name>.machine_users), as
# <account>/<user>. `mfagen audit --live` lists what their long-term keys can do; any other user
# outside accounts.yaml whose keys reach more than mfagen's users' keys fails it.
output "machine_users" {
  description = "IAM users kept outside mfagen on purpose: mfagen audit --live lists them"
  value       = ["dev/ci", "dev/deploy-bot"]
}
"""


def _render(tmp_path: Path, config: str) -> Path:
    path = tmp_path / "accounts.yaml"
    path.write_text(config, encoding="utf-8")
    api.render_to(path, tmp_path / "output")
    return tmp_path / "output"


def test_machine_users_become_an_output_the_audit_reads(tmp_path: Path) -> None:
    folder = _render(
        tmp_path, CONFIG.replace("machine_users: [ci]", "machine_users: [deploy-bot, ci]")
    )

    providers = (folder / "terraform" / "providers.tf").read_text()
    expected, _ = read_folder(folder)

    assert providers.endswith("}\n\n" + OUTPUT)
    assert expected.machine_users == {("dev", "ci"), ("dev", "deploy-bot")}
    assert dict(expected.assume_roles) == {
        "dev": f"arn:aws:iam::{DEV}:role/OrganizationAccountAccessRole"
    }


def test_without_machine_users_there_is_no_output(tmp_path: Path) -> None:
    folder = _render(tmp_path, CONFIG.replace("    machine_users: [ci]\n", ""))

    assert "machine_users" not in (folder / "terraform" / "providers.tf").read_text()
    assert read_folder(folder)[0].machine_users == frozenset()


def test_an_entry_that_names_no_account_is_refused() -> None:
    files = {
        "terraform/main.tf": 'provider "aws" {\n  alias = "dev"\n  allowed_account_ids = '
        '["222222222222"]\n}\n\noutput "machine_users" {\n  value = ["prod/ci"]\n}\n'
    }

    with pytest.raises(AuditInputError, match="'prod/ci' is not <account>/<user name>"):
        terraform.read(files)
