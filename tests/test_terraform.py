"""Every root module of every golden tree passes fmt -check, init and validate."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.e2e.tooling import Terraform, require_terraform_tooling, terraform_env, write_cli_config
from tests.golden import CASES

pytestmark = pytest.mark.terraform


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_module_is_formatted_and_valid(case: str, tmp_path: Path) -> None:
    tooling = require_terraform_tooling()
    _, golden = CASES[case]
    module = tmp_path / "terraform"
    shutil.copytree(golden / "terraform", module)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        **terraform_env(write_cli_config(tmp_path / "cli", tooling.mirror)),
    }
    Terraform(tooling.terraform, module, env).run("fmt", "-check", "-diff", "-recursive")
    roots = sorted({path.parent for path in module.rglob("*.tf")})
    assert roots, f"no Terraform files in {golden}"
    for root in roots:
        terraform = Terraform(tooling.terraform, root, env)
        terraform.run("init", "-backend=false", "-input=false", "-no-color")
        result = terraform.validate()
        assert "Success! The configuration is valid." in result.stdout, root
