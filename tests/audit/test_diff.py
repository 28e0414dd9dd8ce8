"""`mfagen diff BASE HEAD`: two configs rendered with the CLI, their access compared."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from mfagen.audit.diff import report
from mfagen.cli import app
from mfagen.transaction import JOURNAL, TEMP_SUFFIX
from tests.helpers import write_config

runner = CliRunner()

BASE: dict[str, Any] = {
    "version": 1,
    "organization": "acme",
    "identity_account": "identity",
    "defaults": {"region": "eu-west-1", "mfa_max_age": "1h"},
    "accounts": {
        "identity": {"id": "111111111111"},
        "dev": {"id": "222222222222"},
        "prod": {"id": "333333333333"},
    },
    "tiers": {
        "admin": {"preset": "admin", "accounts": ["identity", "dev", "prod"]},
        "s3": {"preset": "s3", "accounts": ["dev"]},
        "readonly": {"preset": "readonly", "accounts": ["dev", "prod"], "mfa_max_age": "30m"},
    },
    "users": {
        "alice": {"tiers": ["admin"]},
        "bob": {"tiers": ["s3"]},
        "carol": {"tiers": ["readonly"]},
        "dave": {"tiers": [], "enrolment": "open"},
    },
}


def render(folder: Path, data: dict[str, Any]) -> Path:
    config = write_config(folder.parent, data, name=f"{folder.name}.yaml")
    result = runner.invoke(app, ["render", str(config), "--out", str(folder)])
    assert result.exit_code == 0, result.output
    return folder


def diff(base: Path, head: Path, *flags: str) -> Result:
    result = runner.invoke(app, ["diff", str(base), str(head), *flags])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return result


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(tmp_path_factory.mktemp("rendered") / "base", BASE)


def changed(tmp_path: Path, edit: Any) -> Path:
    """BASE with `edit(data)` applied, rendered into tmp_path/head."""
    data = copy.deepcopy(BASE)
    edit(data)
    return render(tmp_path / "head", data)


def lines(result: Result) -> list[str]:
    return result.stdout.splitlines()


def test_the_same_output_twice_has_no_access_changes(base: Path, tmp_path: Path) -> None:
    again = render(tmp_path / "again", BASE)
    assert diff(base, again).stdout == f"{base} -> {again}: no access changes\n"
    assert json.loads(diff(base, again, "--format", "json").stdout)["changed"] is False
    assert diff(base, again, "--format", "markdown").stdout == (
        f"### mfagen diff: access changes\n\n`{base}` → `{again}`: no access changes\n"
    )


def test_head_defaults_to_output(
    base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    render(tmp_path / "output", BASE)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["diff", str(base)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{base} -> output: no access changes\n"


def test_the_whole_text_of_a_small_change(base: Path, tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["tiers"]["admin"]["console"] = True
        data["tiers"]["s3"]["accounts"] = ["dev", "prod"]
        data["tiers"]["readonly"]["mfa_max_age"] = "15m"
        data["users"] = {
            "alice": {"tiers": ["admin", "s3"]},
            "carol": {"tiers": ["readonly"]},
            "dave": {"tiers": ["readonly"]},
            "erin": {"tiers": ["admin"], "enrolment": "open"},
        }

    head = changed(tmp_path, edit)
    assert diff(base, head).stdout == (
        f"{base} -> {head}: 1 user added, 1 user removed, 2 gain access, "
        "1 enrolment window opened, 1 enrolment window closed, 3 tiers changed\n"
        "tiers\n"
        "  admin (2 members)\n"
        "    console rights added: AdministratorAccess on group AdminMFAGroup, with MFA\n"
        "  readonly (2 members)\n"
        "    MFA maximum age in dev, prod: 30m -> 15m\n"
        "  s3 (1 member)\n"
        "    new role in prod, MFA maximum age 1h\n"
        "users\n"
        "  alice\n"
        "    gains s3 in dev, prod (with MFA at most 1h old)\n"
        "    gains admin's console rights (AdministratorAccess on group AdminMFAGroup, with MFA)\n"
        "  bob: removed: their IAM user, access keys and MFA devices will be deleted "
        "(force_destroy)\n"
        "    loses s3 in dev\n"
        "  dave\n"
        "    gains readonly in dev, prod (with MFA at most 15m old)\n"
        "    enrolment window closed\n"
        "  erin: added, a new IAM user\n"
        "    gains admin in dev, identity, prod (with MFA at most 1h old)\n"
        "    gains admin's console rights (AdministratorAccess on group AdminMFAGroup, with MFA)\n"
        "    enrolment window open: may enrol an MFA device with long-term keys alone\n"
    )


def test_a_tier_that_reaches_a_new_account(base: Path, tmp_path: Path) -> None:
    head = changed(tmp_path, lambda d: d["tiers"]["s3"].update(accounts=["dev", "prod"]))
    assert lines(diff(base, head))[1:] == [
        "tiers",
        "  s3 (1 member)",
        "    new role in prod, MFA maximum age 1h",
        "users",
        "  bob",
        "    gains s3 in prod (with MFA at most 1h old)",
    ]
    assert lines(diff(head, base))[1:] == [
        "tiers",
        "  s3 (1 member)",
        "    role in prod removed",
        "users",
        "  bob",
        "    loses s3 in prod",
    ]


def test_a_tier_mfa_age_is_said_once_for_the_tier(base: Path, tmp_path: Path) -> None:
    head = changed(tmp_path, lambda d: d["tiers"]["admin"].update(mfa_max_age="2h"))
    assert lines(diff(base, head)) == [
        f"{base} -> {head}: 1 tier changed",
        "tiers",
        "  admin (1 member)",
        "    MFA maximum age in dev, identity, prod: 1h -> 2h",
    ]


def test_a_new_tier_and_a_tier_removed(base: Path, tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["tiers"]["ops"] = data["tiers"].pop("s3")
        data["users"]["bob"]["tiers"] = ["ops"]

    head = changed(tmp_path, edit)
    assert lines(diff(base, head))[1:] == [
        "tiers",
        "  ops (new tier, 1 member)",
        "    new role in dev, MFA maximum age 1h",
        "  s3 (tier removed, had 1 member)",
        "    role in dev removed",
        "users",
        "  bob",
        "    gains ops in dev (with MFA at most 1h old)",
        "    loses s3 in dev",
    ]


def test_console_rights_removed(base: Path, tmp_path: Path) -> None:
    console = changed(tmp_path, lambda d: d["tiers"]["admin"].update(console=True))
    assert lines(diff(console, base))[1:] == [
        "tiers",
        "  admin (1 member)",
        "    console rights removed: AdministratorAccess on group AdminMFAGroup, with MFA",
        "users",
        "  alice",
        "    loses admin's console rights (AdministratorAccess on group AdminMFAGroup, with MFA)",
    ]


def test_enrolment_windows_opened_and_closed(base: Path, tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["users"]["alice"]["enrolment"] = "open"
        del data["users"]["dave"]["enrolment"]

    head = changed(tmp_path, edit)
    assert lines(diff(base, head)) == [
        f"{base} -> {head}: 1 enrolment window opened, 1 enrolment window closed",
        "users",
        "  alice",
        "    enrolment window opened: may enrol an MFA device with long-term keys alone",
        "  dave",
        "    enrolment window closed",
    ]


def test_users_added_and_removed(base: Path, tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        del data["users"]["carol"]
        data["users"]["zoe"] = {"tiers": ["s3", "readonly"]}

    head = changed(tmp_path, edit)
    assert lines(diff(base, head))[1:] == [
        "users",
        (
            "  carol: removed: their IAM user, access keys and MFA devices will be deleted "
            "(force_destroy)"
        ),
        "    loses readonly in dev, prod",
        "  zoe: added, a new IAM user",
        "    gains readonly in dev, prod (with MFA at most 30m old)",
        "    gains s3 in dev (with MFA at most 1h old)",
    ]


def test_a_change_no_number_counts_still_says_how_many_users_changed(
    base: Path, tmp_path: Path
) -> None:
    """force_destroy turned off for one user changes no access: the summary still counts."""
    head = tmp_path / "head"
    shutil.copytree(base, head)
    users = head / "terraform" / "users.tf"
    users.write_text(users.read_text().replace("force_destroy = true", "force_destroy = false", 1))
    assert lines(diff(base, head))[0] == f"{base} -> {head}: 1 user changed otherwise"


def test_a_removal_without_force_destroy_and_without_created_users(
    base: Path, tmp_path: Path
) -> None:
    kept = tmp_path / "kept"
    shutil.copytree(base, kept)
    users = kept / "terraform" / "users.tf"
    users.write_text(users.read_text().replace("force_destroy = true", "force_destroy = false"))
    head = changed(tmp_path, lambda d: d["users"].pop("bob"))
    assert lines(diff(kept, head))[1:6] == [
        "users",
        "  alice",
        "    force_destroy on: removing them will delete their access keys and MFA devices",
        (
            "  bob: removed: their IAM user will be deleted (terraform apply fails while it has "
            "access keys or MFA devices)"
        ),
        "    loses s3 in dev",
    ]
    existing = copy.deepcopy(BASE)
    existing["defaults"]["create_users"] = False
    for user in existing["users"].values():
        user.pop("enrolment", None)
    before = render(tmp_path / "existing", existing)
    del existing["users"]["bob"]
    after = render(tmp_path / "existing-after", existing)
    assert lines(diff(before, after))[2] == (
        "  bob: removed: out of mfagen's groups; their IAM user stays (create_users: false)"
    )


def test_create_users_turned_off_deletes_the_users(base: Path, tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["defaults"]["create_users"] = False
        data["users"]["dave"].pop("enrolment")

    head = changed(tmp_path, edit)
    result = lines(diff(base, head))
    assert result[1:4] == [
        "users",
        "  alice",
        (
            "    the module no longer creates their IAM user: terraform apply deletes it, with its "
            "access keys and MFA devices (force_destroy)"
        ),
    ]


def test_a_role_that_admits_without_mfa_is_flagged(base: Path, tmp_path: Path) -> None:
    """A hand edit drops the MFA test from admin's trust in dev: the audit's evaluator, not
    the text, finds that alice now gets in with long-term keys alone."""
    head = tmp_path / "head"
    shutil.copytree(base, head)
    dev = head / "terraform" / "account_dev.tf"
    text = dev.read_text()
    start = text.index('resource "aws_iam_role" "dev__admin"')
    # both MFA tests pass when their key is absent: long-term keys get in
    trust = text[start:].replace('"Bool"', '"BoolIfExists"', 1)
    trust = trust.replace('"NumericLessThan"', '"NumericLessThanIfExists"', 1)
    dev.write_text(text[:start] + trust)
    result = diff(base, head)
    assert lines(result)[0] == (
        f"{base} -> {head}: 1 with changed access, 1 user may now assume a role WITHOUT MFA"
    )
    assert "    admin in dev: with MFA at most 1h old -> even WITHOUT MFA" in lines(result)
    data = json.loads(diff(base, head, "--format", "json").stdout)
    assert data["summary"]["users_without_mfa"] == 1
    assert data["users"][0]["changed"][0]["after"]["without_mfa"] is True


def test_markdown_is_a_pull_request_comment(base: Path, tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        del data["users"]["bob"]
        data["users"]["alice"]["tiers"] = ["admin", "s3"]

    head = changed(tmp_path, edit)
    assert diff(base, head, "--format", "markdown").stdout == (
        "### mfagen diff: access changes\n"
        "\n"
        f"`{base}` → `{head}`: **1 user removed**, 1 gains access\n"
        "\n"
        "#### Users\n"
        "\n"
        "- `alice`\n"
        "  - gains `s3` in `dev` (with MFA at most 1h old)\n"
        "- `bob`: removed: their IAM user, access keys and MFA devices will be deleted "
        "(force_destroy)\n"
        "  - loses `s3` in `dev`\n"
    )


def test_markdown_folds_a_long_list(base: Path, tmp_path: Path) -> None:
    many = {f"user{n:02d}": {"tiers": ["s3"]} for n in range(report.FOLDED_FROM + 1)}
    head = changed(tmp_path, lambda d: d["users"].update(many))
    text = diff(base, head, "--format", "markdown").stdout
    assert f"#### Users\n\n<details><summary>{report.FOLDED_FROM + 1} users</summary>\n\n" in text
    assert text.endswith("  - gains `s3` in `dev` (with MFA at most 1h old)\n\n</details>\n")


def test_markdown_stays_within_a_comment(
    base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    many = {f"user{n:02d}": {"tiers": ["s3"]} for n in range(5)}
    head = changed(tmp_path, lambda d: d["users"].update(many))
    monkeypatch.setattr(report, "MARKDOWN_LIMIT", 300)
    text = diff(base, head, "--format", "markdown").stdout
    assert len(text) <= 300 + 100  # the last line, saying what is left out
    shown = text.count("\n- `")
    assert 0 < shown < 5
    assert text.endswith(f"- … and {5 - shown} more: run `mfagen diff` to see them all\n")


def test_json_shape(base: Path, tmp_path: Path) -> None:
    def edit(data: dict[str, Any]) -> None:
        data["tiers"]["s3"]["accounts"] = ["dev", "prod"]
        data["tiers"]["s3"]["console"] = True
        del data["users"]["carol"]

    head = changed(tmp_path, edit)
    data = json.loads(diff(base, head, "--format", "json").stdout)
    assert data["summary"] == {
        "users_added": 0,
        "users_removed": 1,
        "users_gaining": 1,
        "users_losing": 0,
        "users_changed": 0,
        "windows_opened": 0,
        "windows_closed": 0,
        "tiers_changed": 1,
        "users_without_mfa": 0,
    }
    assert data["tiers"] == [
        {
            "tier": "s3",
            "status": "changed",
            "members": 1,
            "roles": [
                {
                    "account": "prod",
                    "before": None,
                    "after": {
                        "role": "arn:aws:iam::333333333333:role/S3MFARole",
                        "mfa_max_age": 3600,
                    },
                }
            ],
            "console": {
                "before": None,
                "after": {"group": "S3MFAGroup", "policies": ["AmazonS3FullAccess"]},
            },
        }
    ]
    bob, carol = data["users"]
    assert bob["gains"] == [
        {
            "kind": "role",
            "account": "prod",
            "tier": "s3",
            "role": "arn:aws:iam::333333333333:role/S3MFARole",
            "member": True,
            "with_mfa": True,
            "without_mfa": False,
            "too_old": False,
            "mfa_max_age": 3600,
        },
        {
            "kind": "console",
            "account": "identity",
            "tier": "s3",
            "group": "S3MFAGroup",
            "policies": ["AmazonS3FullAccess"],
        },
    ]
    assert carol["status"] == "removed"
    assert carol["before"] == {"created": True, "force_destroy": True, "enrolment": "closed"}
    assert carol["after"] is None
    assert [g["account"] for g in carol["loses"]] == ["dev", "prod"]


# -- folders the diff refuses ---------------------------------------------------------------


@pytest.mark.parametrize("leftover", [JOURNAL, f"terraform/users.tf{TEMP_SUFFIX}"])
@pytest.mark.parametrize("side", ["base", "head"])
def test_an_interrupted_render_exits_2(
    base: Path, tmp_path: Path, leftover: str, side: str
) -> None:
    broken = tmp_path / "interrupted"
    shutil.copytree(base, broken)
    (broken / leftover).write_text("{}")
    args = [str(broken), str(base)] if side == "base" else [str(base), str(broken)]
    result = runner.invoke(app, ["diff", *args])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.startswith(
        f"mfagen: error: {broken}: a render into this folder was interrupted"
    )
    assert f"  hint: run `mfagen render --out {broken}`" in result.stderr
    assert len(result.stderr.splitlines()) == 2


def test_a_folder_that_is_not_mfagen_output_exits_2(base: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["diff", str(tmp_path / "nope"), str(base)])
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"mfagen: error: {tmp_path / 'nope'}: no terraform/ folder here\n"
        "  hint: point the audit at mfagen's output folder\n"
    )
    other = tmp_path / "other"
    (other / "terraform").mkdir(parents=True)
    (other / "terraform" / "main.tf").write_text('resource "null_resource" "x" {}\n')
    result = runner.invoke(app, ["diff", str(base), str(other), "--format", "json"])
    assert result.exit_code == 2, result.output
    assert json.loads(result.stdout)["errors"] == [
        {
            "severity": "error",
            "path": f"{other.as_posix()}/terraform",
            "message": "no IAM users, groups or policies to audit",
            "hint": "",
        }
    ]


def test_an_unreadable_file_is_named_in_its_folder(base: Path, tmp_path: Path) -> None:
    head = tmp_path / "head"
    shutil.copytree(base, head)
    users = head / "terraform" / "users.tf"
    users.write_text(users.read_text().replace('"bob" {', '"bob" {{'))
    result = runner.invoke(app, ["diff", str(base), str(head)])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"mfagen: error: {head.as_posix()}/terraform/users.tf:")


def test_the_profile_files_play_no_part(base: Path, tmp_path: Path) -> None:
    head = tmp_path / "head"
    shutil.copytree(base, head)
    (head / "profiles" / "alice" / "config").write_bytes(b"\xff not a profile file\n")
    assert diff(base, head).stdout == f"{base} -> {head}: no access changes\n"
