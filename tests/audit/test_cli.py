"""`mfagen audit` and the audit `mfagen render` runs before writing, through the CLI."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mfagen import transaction
from mfagen.audit.checks.report import MATRIX_HINT
from mfagen.cli import app
from tests.helpers import ROOT, minimal, write_config

from .cases import rendered, replace

runner = CliRunner()


def write(folder: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def output(tmp_path: Path) -> Path:
    return write(tmp_path / "output", rendered("accounts"))


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """The example with one trust's member test negated: invariant 2 breaks."""
    files = replace(rendered("accounts"), DEV, '"ArnEquals"', '"ArnNotEquals"')
    return write(tmp_path / "broken", files)


DEV = "terraform/account_dev.tf"


def test_audit_reports_the_verdict_then_the_violations(broken: Path) -> None:
    result = runner.invoke(app, ["audit", str(broken), "--no-enforce-mfa"])
    assert result.exit_code == 1, result.output
    first, second, *_ = result.stdout.splitlines()
    assert re.fullmatch(
        rf"{re.escape(str(broken))}: audit failed, \d+ violations: 4 users, 5 tiers, 3 accounts, "
        r"11 roles, 1 enrolment window open \(dave\)",
        first,
    )
    assert second.startswith("violation (invariant ")
    assert (
        "violation (invariant 2: a tier role trusts only its tier's members) "
        "[bob, carol.smith@acme, dave]: "
        "arn:aws:iam::222222222222:role/mfa/AdminMFARole (tier admin) admits a user outside its "
        "tier\n    allowed by terraform/account_dev.tf:18 aws_iam_role.dev__admin (trust of "
        "AdminMFARole) statement AssumeWithMFA\n" in result.stdout
    )
    assert (
        "violation (invariant 2: a tier role trusts only its tier's members) "
        "[arn:aws:iam::111111111111:user/mfagen-audit-outsider]: "
        "arn:aws:iam::222222222222:role/mfa/AdminMFARole (tier admin) admits a user of the "
        "identity account who is not in the file\n" in result.stdout
    )
    assert result.stdout.endswith(f"\n{MATRIX_HINT}\n")
    assert "NOT A MEMBER" not in result.stdout
    assert re.fullmatch(
        rf"mfagen: audit failed: {re.escape(str(broken))}: 4 users, 5 tiers, 3 accounts, "
        r"11 roles: \d+ violations\n",
        result.stderr,
    )


def test_audit_prints_the_matrix_after_the_violations_on_request(broken: Path) -> None:
    result = runner.invoke(app, ["audit", str(broken), "--no-enforce-mfa", "--matrix"])
    assert result.exit_code == 1, result.output
    violations, matrix = result.stdout.split("access: who may assume which role", 1)
    assert "violation (invariant 2" in violations
    assert "violation" not in matrix
    assert matrix.startswith(
        " (with MFA: a fresh MFA code; without: long-term keys\n"
        "alone; too old: an MFA code older than the trust's maximum age, '-' when it sets none;\n"
        "NOT A MEMBER: the user is not in the role's tier)\n"
        "    account   tier      with MFA  without  too old\n"
    )
    # alice's console AdministratorAccess lets her call sts:AssumeRole on anything: the negated
    # trusts now admit her to the other tiers' roles in dev, and no longer to her own
    assert (
        "  alice  (enrolment window closed)\n"
        "    dev       admin     no        no       no\n"
        "    dev       data-eng  yes       no       no       NOT A MEMBER\n" in matrix
    )
    assert "  dave  (enrolment window open)\n    (no role)\n" in matrix


def test_audit_prints_a_part_of_the_matrix(output: Path) -> None:
    result = runner.invoke(app, ["audit", str(output), "--user", "bob", "--account", "dev"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-4:] == [
        "    account  tier      with MFA  without  too old",
        "  bob  (enrolment window closed)",
        "    dev      deployer  yes       no       no",
        "    dev      s3        yes       no       no",
    ]
    in_prod = runner.invoke(app, ["audit", str(output), "--account", "prod"]).stdout
    assert [line for line in in_prod.splitlines() if line.startswith("  ")] == [
        "    account  tier      with MFA  without  too old",
        "  alice  (enrolment window closed)",
        "    prod     admin     yes       no       no",
        "  bob  (enrolment window closed)",
        "    prod     deployer  yes       no       no",
        "    prod     s3        yes       no       no",
        "  carol.smith@acme  (enrolment window closed)",
        "    prod     readonly  yes       no       no",
    ]
    users = runner.invoke(app, ["audit", str(output), "--user", "dave", "--user", "alice"])
    assert [line for line in users.stdout.splitlines() if line.startswith("  ")] == [
        "    account   tier   with MFA  without  too old",
        "  dave  (enrolment window open)",
        "    (no role)",
        "  alice  (enrolment window closed)",
        "    dev       admin  yes       no       no",
        "    identity  admin  yes       no       no",
        "    prod      admin  yes       no       no",
    ]


@pytest.mark.parametrize(
    ("flag", "name", "message"),
    [
        ("--user", "alise", "no user 'alise' in {out}\n  hint: did you mean 'alice'?"),
        ("--account", "staging",
         "no account 'staging' in {out}\n  hint: expected one of 'dev', 'identity', 'prod'"),
    ],
)  # fmt: skip
def test_audit_refuses_a_part_it_does_not_hold(
    output: Path, flag: str, name: str, message: str
) -> None:
    result = runner.invoke(app, ["audit", str(output), flag, name])
    assert result.exit_code == 2, result.output
    assert result.stderr == f"mfagen: error: {message.format(out=output)}\n"


def test_the_matrix_options_are_not_for_the_live_audit(output: Path) -> None:
    result = runner.invoke(app, ["audit", str(output), "--live", "--user", "alice"])
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "mfagen: error: --matrix, --user and --account apply to the audit of the folder, not "
        "--live\n  hint: with --live, --format json holds the access matrix of what IAM holds\n"
    )


@pytest.mark.parametrize("flags", [[], ["--no-enforce-mfa"]])
def test_audit_passes_when_the_invariants_hold(output: Path, flags: list[str]) -> None:
    result = runner.invoke(app, ["audit", str(output), *flags])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"{output}: all invariants hold: 4 users, 5 tiers, 3 accounts, 11 roles, "
        f"1 enrolment window open (dave)\n{MATRIX_HINT}\n"
    )
    assert result.stderr == ""


def test_audit_defaults_to_output(output: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(output.parent)
    result = runner.invoke(app, ["audit"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "output: all invariants hold: 4 users, 5 tiers, 3 accounts, 11 roles, "
    )


def test_the_committed_output_holds() -> None:
    result = runner.invoke(app, ["audit", str(ROOT / "output")])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("flags", [[], ["--user", "bob", "--account", "prod"]])
def test_audit_json(broken: Path, flags: list[str]) -> None:
    result = runner.invoke(app, ["audit", str(broken), "--format", "json", *flags])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert list(data["matrix"]) == ["alice", "bob", "carol.smith@acme", "dave"]  # all of it
    assert data["matrix"]["alice"][0] == {
        "account": "dev",
        "tier": "admin",
        "role": "arn:aws:iam::222222222222:role/mfa/AdminMFARole",
        "member": True,
        "with_mfa": False,
        "without_mfa": False,
        "too_old": False,
    }
    violation = next(v for v in data["violations"] if v["invariant"] == "2")
    assert violation["title"] == "a tier role trusts only its tier's members"
    assert violation["evidence"] == [
        {
            "role": "allows",
            "file": "terraform/account_dev.tf",
            "line": 18,
            "address": "aws_iam_role.dev__admin",
            "policy": "trust of AdminMFARole",
            "sid": "AssumeWithMFA",
            "note": "",
        }
    ]


def test_limits_can_be_raised_or_lowered(output: Path) -> None:
    args = ["audit", str(output), "--no-enforce-mfa"]
    assert runner.invoke(app, args).exit_code == 0
    low = runner.invoke(app, [*args, "--trust-policy-chars", "100"])
    assert low.exit_code == 1, low.output
    assert "violation (quota: IAM quotas and names)" in low.stdout
    data = json.loads(
        runner.invoke(app, [*args, "--groups-per-user", "1", "--format", "json"]).stdout
    )
    assert data["limits"]["groups_per_user"] == 1
    assert {v["invariant"] for v in data["violations"]} == {"quota"}


def test_evidence_at_a_place_reads_whole(output: Path) -> None:
    """Evidence that points at a profile, a file or a resource names it, with no empty
    statement part left dangling."""
    alice = output / "profiles" / "alice" / "config"
    alice.write_text(alice.read_text().replace("333333333333:role", "333333333333:role/gone", 1))
    (output / "profiles" / "mallory").mkdir()
    (output / "profiles" / "mallory" / "config").write_text("", encoding="utf-8")
    result = runner.invoke(app, ["audit", str(output), "--trust-policy-chars", "100"])
    assert result.exit_code == 1, result.output
    line = next(
        n for n, t in enumerate(alice.read_text().splitlines(), 1) if "acme-prod-admin]" in t
    )
    assert (
        "names arn:aws:iam::333333333333:role/gone/mfa/AdminMFARole, no role of the module\n"
        f"    at profiles/alice/config:{line} [profile acme-prod-admin] (profile)\n"
        in result.stdout
    )
    assert (
        "a profile file for someone who is no user of the module\n"
        "    at profiles/mallory/config profile file\n" in result.stdout
    )
    evidence = [t for t in result.stdout.splitlines() if t.startswith("    at ")]
    assert evidence
    assert not [t for t in evidence if t.endswith(("statement ", "statement"))]
    assert not [t for t in evidence if re.search(r" (\S+) \(\1\)", t)], evidence


def test_unreadable_input_exits_2_naming_the_file(output: Path) -> None:
    users = output / "terraform" / "users.tf"
    users.write_text(users.read_text().replace('"bob" {', '"bob" {{'), encoding="utf-8")
    result = runner.invoke(app, ["audit", str(output)])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("mfagen: error: terraform/users.tf:")
    assert "not valid HCL" in result.stderr


def test_a_missing_folder_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["audit", str(tmp_path / "nope")])
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"mfagen: error: {tmp_path / 'nope'}: no terraform/ folder here\n"
        "  hint: point the audit at mfagen's output folder\n"
    )


@pytest.mark.parametrize(
    ("break_it", "where", "message", "hint"),
    [
        (
            lambda out: [tf.unlink() for tf in (out / "terraform").glob("*.tf")],
            "{out}",
            "no *.tf files to audit",
            "point the audit at mfagen's output folder",
        ),
        (
            lambda out: (out / "profiles" / "eve" / "config").mkdir(parents=True),
            "{out}/profiles/eve/config",
            "cannot read: [Errno 21] Is a directory",
            "check that it is a file you may read",
        ),
        (
            lambda out: (out / "profiles" / "alice" / "config").write_bytes(b"\xff"),
            "{out}/profiles/alice/config",
            "cannot read: 'utf-8' codec can't decode byte 0xff",
            "mfagen writes UTF-8: render again",
        ),
    ],
    ids=["no-tf-files", "a-directory", "not-utf-8"],
)
def test_a_folder_the_audit_cannot_read_exits_2_with_a_hint(
    output: Path, break_it: Callable[[Path], object], where: str, message: str, hint: str
) -> None:
    break_it(output)
    result = runner.invoke(app, ["audit", str(output)])
    assert result.exit_code == 2, result.output
    first, second = result.stderr.splitlines()
    assert first.startswith(f"mfagen: error: {where.format(out=output)}: {message}")
    assert second == f"  hint: {hint}"


def test_per_account_layout(tmp_path: Path) -> None:
    out = write(tmp_path / "output", rendered("per-account"))
    result = runner.invoke(app, ["audit", str(out)])
    assert result.exit_code == 0, result.output


# -- render audits what it is about to write -----------------------------------------------


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write_config(tmp_path, minimal(defaults={"region": "eu-west-1", "enforce_mfa": False}))


@pytest.fixture
def careless(config: Path) -> Path:
    """A copy of the blueprints whose identity.tf lets every tier group assume any role."""
    blueprints = config.parent / "blueprints"
    shutil.copytree(ROOT / "blueprints", blueprints)
    template = blueprints / "terraform" / "identity.tf.j2"
    template.write_text(template.read_text() + WIDE_GROUP_POLICY, encoding="utf-8")
    return blueprints


WIDE_GROUP_POLICY = """
resource "aws_iam_group_policy" "tier_admin__anything" {
  provider = aws.{{ plan.identity.alias }}
  name     = "AssumeAnything"
  group    = aws_iam_group.tier_admin.name
  policy   = "{\\"Version\\": \\"2012-10-17\\", \\"Statement\\": {\\"Sid\\": \\"Wide\\", \\"Effect\\": \\"Allow\\", \\"Action\\": \\"sts:AssumeRole\\", \\"Resource\\": \\"*\\"}}"
}
"""  # noqa: E501


@pytest.mark.parametrize("enforce_mfa", [True, False])
def test_render_writes_what_passes_the_audit(config: Path, enforce_mfa: bool) -> None:
    defaults = {"region": "eu-west-1", "enforce_mfa": enforce_mfa}
    write_config(config.parent, minimal(defaults=defaults))
    result = runner.invoke(app, ["render"])
    assert result.exit_code == 0, result.output
    flags = [] if enforce_mfa else ["--no-enforce-mfa"]
    audited = runner.invoke(app, ["audit", *flags])
    assert audited.exit_code == 0, audited.output


def test_render_refuses_a_violating_output_and_writes_nothing(config: Path, careless: Path) -> None:
    result = runner.invoke(app, ["render", "--blueprints", str(careless)])
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert re.search(
        r"violation \(invariant 5: a group may assume exactly its tier's roles\) "
        r"\[AdminMFAGroup\]: group AdminMFAGroup may assume roles "
        r"outside tier admin: arn:aws:iam::111111111111:role/mfagen-audit-role, .*\n"
        r"    allowed by terraform/identity.tf:\d+ aws_iam_group_policy.tier_admin__anything "
        r"\(AssumeAnything\) statement Wide\n",
        result.stderr,
    )
    assert result.stderr.endswith(
        "mfagen: error: output: refusing to write: the rendered IAM breaks mfagen's security "
        "invariants (1 violation); nothing written\n"
        "  hint: fix the cause, or pass --no-audit to write it anyway\n"
    )
    assert not (config.parent / "output").exists()


def test_a_refused_render_leaves_an_existing_output_as_it_was(config: Path, careless: Path) -> None:
    """The files are staged while the audit runs (in a child process); a refusal deletes
    them and the folders made for them: a new user's profiles/<user>/ does not stay behind."""
    assert runner.invoke(app, ["render"]).exit_code == 0
    out = config.parent / "output"
    before = {p: p.read_bytes() if p.is_file() else None for p in out.rglob("*")}
    users = {"alice": {"tiers": ["admin"]}, "bob": {"tiers": ["admin"]}}
    write_config(config.parent, minimal(defaults={"region": "eu-west-1"}, users=users))
    result = runner.invoke(app, ["render", "--blueprints", str(careless)])
    assert result.exit_code == 1, result.output
    assert "refusing to write" in result.stderr
    assert {p: p.read_bytes() if p.is_file() else None for p in out.rglob("*")} == before
    assert runner.invoke(app, ["render"]).exit_code == 0
    assert (out / "profiles" / "bob" / "config").is_file()


def test_a_refused_render_stages_nothing(
    config: Path, careless: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The audit runs on the files in memory, before the write begins: a refusal never
    creates a file, not even a hidden one deleted again."""
    staged: list[object] = []
    monkeypatch.setattr(transaction, "stage", lambda *args: staged.append(args))
    result = runner.invoke(app, ["render", "--blueprints", str(careless)])
    assert result.exit_code == 1, result.output
    assert (
        "violation (invariant 5: a group may assume exactly its tier's roles) [AdminMFAGroup]"
        in result.stderr
    )
    assert "refusing to write" in result.stderr
    assert staged == []
    assert not (config.parent / "output").exists()


def test_render_no_audit_writes_anyway(config: Path, careless: Path) -> None:
    result = runner.invoke(app, ["render", "--blueprints", str(careless), "--no-audit"])
    assert result.exit_code == 0, result.output
    assert "AssumeAnything" in (config.parent / "output" / "terraform" / "identity.tf").read_text()
    assert runner.invoke(app, ["audit", "--no-enforce-mfa"]).exit_code == 1


def test_render_refusal_as_json(config: Path, careless: Path) -> None:
    result = runner.invoke(app, ["render", "--blueprints", str(careless), "--format", "json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert data["errors"][0]["path"] == "output"
    assert [v["invariant"] for v in data["audit"]["violations"]] == ["5"]


def test_render_check_does_not_audit(config: Path, careless: Path) -> None:
    result = runner.invoke(app, ["render", "--check", "--blueprints", str(careless)])
    assert result.exit_code == 1, result.output
    assert "violation" not in result.output


def test_render_refuses_an_open_window_the_module_does_not_declare(
    config: Path, tmp_path: Path
) -> None:
    """A blueprint that drops the `enrolment_open` output: the gate still exempts bob, whom
    nothing declares open, so his long-term keys could enrol a device (invariant 3)."""
    users = {"alice": {"tiers": ["admin"]}, "bob": {"tiers": ["admin"], "enrolment": "open"}}
    write_config(config.parent, minimal(users=users))
    blueprints = tmp_path / "undeclared"
    shutil.copytree(ROOT / "blueprints", blueprints)
    template = blueprints / "terraform" / "identity.tf.j2"
    text = template.read_text(encoding="utf-8")
    start = text.index('output "{{ policy.enrolment_output }}" {')
    template.write_text(text[:start] + text[text.index("\n}\n", start) + 3 :], encoding="utf-8")
    result = runner.invoke(app, ["render", "--blueprints", str(blueprints)])
    assert result.exit_code == 1, result.output
    assert re.search(
        r"violation \(invariant 3: [^)]*\) \[bob\]: enrolment window closed, yet without MFA "
        r"nothing denies iam:CreateVirtualMFADevice on ",
        result.stderr,
    )
    assert "refusing to write" in result.stderr
    assert not (config.parent / "output").exists()
