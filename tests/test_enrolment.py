"""Enrolment windows (SPEC invariant 3): who may enrol an MFA device without MFA.

The gate is one Deny in ManageMFAPolicy; these tests check the policy mfagen writes, what
`validate` and `render` say about open windows, and how bad values are refused. The audit's
proof that the gate holds is in tests/audit/test_enrolment_audit.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mfagen import policies
from mfagen.cli import app
from tests.helpers import build, minimal, write_config

runner = CliRunner()
GATE = policies.ENROLMENT_GATE_SID
NO_MFA = {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
UNLESS_TAGGED = {"StringNotEquals": {"aws:PrincipalTag/mfagen-enrolment": "open"}}
UNTAGGED = {"create_users": False}
"""Users mfagen does not create: it cannot tag them, so the gate names them."""


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def _gate(data: dict[str, Any]) -> dict[str, Any]:
    document = build(data).self_service.document
    (found,) = (s for s in document["Statement"] if s["Sid"] == GATE)
    return found


def _users(**users: dict[str, Any]) -> dict[str, Any]:
    return minimal(users={"alice": {"tiers": ["admin"]}, **users})


def test_a_closed_window_denies_creating_and_enabling_a_device_without_mfa() -> None:
    assert _gate(_users()) == {
        "Sid": GATE,
        "Effect": "Deny",
        "Action": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice"],
        "Resource": "*",
        "Condition": {**NO_MFA, **UNLESS_TAGGED},
    }


def test_open_windows_are_user_tags_and_leave_the_policy_as_it_is() -> None:
    data = _users(zoe={"enrolment": "open"}, bob={"tiers": ["admin"], "enrolment": "open"})
    built = build(data)
    assert built.self_service.enrolment_open == ("bob", "zoe")
    closed = _users(zoe={}, bob={"tiers": ["admin"]})
    assert built.self_service.document == build(closed).self_service.document
    tags = {user.name: user.tags for user in built.users}
    assert tags == {"alice": (), "bob": (("mfagen-enrolment", "open"),),
                    "zoe": (("mfagen-enrolment", "open"),)}  # fmt: skip


def test_an_open_window_tag_follows_the_tier_tags() -> None:
    data = _users(bob={"tiers": ["admin"], "enrolment": "open"})
    data["tiers"]["admin"]["accounts"] = None
    members = {f"member{n:03d}": {"tiers": ["admin"]} for n in range(60)}  # past the trust quota
    data["users"].update(members)
    (bob,) = (user for user in build(data).users if user.name == "bob")
    assert bob.tags == (("mfagen-tier-admin", "true"), ("mfagen-enrolment", "open"))


def test_users_mfagen_does_not_create_are_named_in_the_gate_sorted() -> None:
    data = _users(zoe={"enrolment": "open"}, bob={"tiers": ["admin"], "enrolment": "open"})
    data["defaults"] = {**data["defaults"], **UNTAGGED}
    assert _gate(data)["Condition"] == {
        **NO_MFA,
        "StringNotEquals": {"aws:username": ["bob", "zoe"]},
    }
    assert build(data).self_service.enrolment_open == ("bob", "zoe")
    assert all(user.tags == () for user in build(data).users)
    one = _users(bob={"enrolment": "open"})
    one["defaults"] = {**one["defaults"], **UNTAGGED}
    assert _gate(one)["Condition"]["StringNotEquals"] == {"aws:username": "bob"}
    nobody = _users()
    nobody["defaults"] = {**nobody["defaults"], **UNTAGGED}
    assert _gate(nobody)["Condition"] == NO_MFA


@pytest.mark.parametrize(
    ("defaults", "exempt"),
    [
        ({"enforce_mfa": False}, UNLESS_TAGGED),
        ({"create_users": False}, {"StringNotEquals": {"aws:username": "bob"}}),
    ],
    ids=["enforce_mfa false", "create_users false"],
)
def test_the_gate_does_not_depend_on_enforce_mfa(
    defaults: dict[str, Any], exempt: dict[str, Any]
) -> None:
    data = _users(bob={"enrolment": "open"})
    data["defaults"] = {**data["defaults"], **defaults}
    assert _gate(data)["Condition"] == {**NO_MFA, **exempt}


def test_nobody_may_rename_themselves_the_gate_reads_their_name() -> None:
    document = build(_users()).self_service.document
    (own,) = (s for s in document["Statement"] if s["Sid"] == "DenyChangingOwnTagsAndPolicies")
    assert "iam:UpdateUser" in own["Action"]
    assert own["Resource"] == "arn:aws:iam::111111111111:user/${aws:username}"


def test_the_module_declares_the_open_windows(tmp_path: Path) -> None:
    write_config(tmp_path, _users(bob={"enrolment": "open"}))
    assert runner.invoke(app, ["render"]).exit_code == 0
    identity = (tmp_path / "output" / "terraform" / "identity.tf").read_text()
    assert 'output "enrolment_open" {' in identity
    assert '  value       = ["bob"]\n' in identity


def test_validate_and_render_name_each_open_window_on_stderr(tmp_path: Path) -> None:
    write_config(tmp_path, _users(bob={"enrolment": "open"}))
    notice = (
        "accounts.yaml:{line}:16: notice: users.bob.enrolment: enrolment window open: bob may "
        "enrol an MFA device with long-term keys alone\n"
        "  hint: remove enrolment: open once bob has enrolled\n"
    )
    lines = (tmp_path / "accounts.yaml").read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "enrolment: open" in text)
    for command in (["validate"], ["render"], ["render", "--check"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 0, result.output
        assert result.stderr == notice.format(line=line), command
    write_config(tmp_path, _users())
    closed = runner.invoke(app, ["validate"])
    assert closed.exit_code == 0, closed.output
    assert closed.stderr == ""


def test_the_json_output_lists_the_open_windows(tmp_path: Path) -> None:
    write_config(tmp_path, _users(bob={"enrolment": "open"}))
    for command in (["validate"], ["render"]):
        result = runner.invoke(app, [*command, "--format", "json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["enrolment_open"] == ["bob"]
        assert [n["field"] for n in data["notices"]] == ["users.bob.enrolment"]
        assert data["notices"][0]["severity"] == "notice"


@pytest.mark.parametrize(
    ("value", "got"),
    [
        ("yes", "the boolean true"),
        ("true", "the boolean true"),
        ("no", "the boolean false"),
        ("Open", "'Open'"),
        ("opened", "'opened'"),
        ('"1"', "'1'"),
    ],
)
def test_a_bad_enrolment_value_is_refused_with_its_place(value: str, got: str) -> None:
    text = (
        'version: 1\norganization: acme\naccounts:\n  main: {id: "111111111111"}\n'
        "defaults: {region: eu-west-1}\ntiers:\n  admin: {preset: admin}\nusers:\n"
        f"  bob:\n    tiers: [admin]\n    enrolment: {value}\n"
    )
    Path("accounts.yaml").write_text(text)
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"accounts.yaml:11:16: error: users.bob.enrolment: enrolment is open or closed, "
        f"got {got}\n"
        "  hint: write enrolment: open while the user enrols their first MFA device, and remove "
        "the line (closed, the default) once they have\n"
        "mfagen: 1 error, nothing written\n"
    )


def test_a_misspelt_enrolment_key_gets_a_did_you_mean() -> None:
    text = (
        'version: 1\norganization: acme\naccounts:\n  main: {id: "111111111111"}\n'
        "defaults: {region: eu-west-1}\ntiers:\n  admin: {preset: admin}\nusers:\n"
        "  bob:\n    tiers: [admin]\n    enrollment: open\n"
    )
    Path("accounts.yaml").write_text(text)
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "accounts.yaml:11:5: error: users.bob.enrollment: unknown key 'enrollment'\n"
        "  hint: did you mean 'enrolment'?\n"
        "mfagen: 1 error, nothing written\n"
    )


def _bulk(count: int, prefix: str, **defaults: Any) -> dict[str, Any]:
    """`count` new users, all enrolling; in a tier unless mfagen cannot tag them (a trust
    then lists its members, at most a few dozen)."""
    tiers = ["admin"] if defaults.get("create_users", True) else []
    users = {f"{prefix}{n:04d}": {"tiers": tiers, "enrolment": "open"} for n in range(count)}
    data = minimal(users={"alice": {"tiers": ["admin"]}, **users})
    data["defaults"] = {**data["defaults"], **defaults}
    return data


def test_every_window_of_iams_largest_account_may_be_open_at_once(tmp_path: Path) -> None:
    """5,000 users, IAM's quota for an account, all enrolling in one rollout."""
    prefix = "new.starter.from.the.autumn.intake@"  # 40-character names
    write_config(tmp_path, _bulk(5000, prefix))
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    document = build(_bulk(5000, prefix)).self_service.document
    assert document == build(_bulk(0, prefix)).self_service.document


def test_300_untagged_windows_opened_at_once_fit_with_short_names(tmp_path: Path) -> None:
    write_config(tmp_path, _bulk(300, "u", **UNTAGGED))
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    document = build(_bulk(300, "u", **UNTAGGED)).self_service.document
    assert policies.minified_length(document) <= 6144


def test_too_many_untagged_windows_at_once_are_refused_by_validate(tmp_path: Path) -> None:
    prefix = "new.starter.from.the.autumn.intake@"  # 40-character names
    write_config(tmp_path, _bulk(300, prefix, **UNTAGGED))
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 2, result.output
    first, hint, summary = result.stderr.splitlines()
    lines = (tmp_path / "accounts.yaml").read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "enrolment: open" in text)
    assert first.startswith(
        f'accounts.yaml:{line}:16: error: users["{prefix}0000"].enrolment: 300 users have '
        "their enrolment window open; ManageMFAPolicy names each of them and would be "
    )
    assert first.endswith(" characters, over IAM's 6144")
    assert summary == "mfagen: 1 error, nothing written"
    fit = int(hint.split("open at most about ")[1].split()[0])
    assert 0 < fit < 300
    assert hint.endswith(
        "windows at once: close the windows of users who have enrolled (remove their "
        "enrolment: open), then open the others; with defaults.create_users: true mfagen tags "
        "open users instead, and any number fit"
    )
    # the figure in the hint holds: that many windows fit, one more does not
    write_config(tmp_path, _bulk(fit, prefix, **UNTAGGED))
    assert runner.invoke(app, ["validate"]).exit_code == 0
    write_config(tmp_path, _bulk(fit + 1, prefix, **UNTAGGED))
    assert runner.invoke(app, ["validate"]).exit_code == 2


def test_a_rollout_says_how_many_windows_are_open_then_names_each(tmp_path: Path) -> None:
    write_config(tmp_path, _bulk(11, "new"))
    lines = (tmp_path / "accounts.yaml").read_text().splitlines()
    users_line = lines.index("users:") + 1
    opened = [n for n, text in enumerate(lines, 1) if "enrolment: open" in text]
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    summary = (
        f"accounts.yaml:{users_line}:1: notice: users: 11 enrolment windows open (of 12 "
        "users): each of these users may enrol an MFA device with long-term keys alone"
    )
    hint = (
        "  hint: remove a user's enrolment: open once they have enrolled (`mfagen audit --live` "
        "tells who has), or every one at once when the rollout ends"
    )
    assert result.stderr.splitlines() == [
        summary,
        hint,
        *(
            f"accounts.yaml:{line}:16: notice: users.new{n:04d}.enrolment: enrolment window "
            f"open: new{n:04d}"
            for n, line in enumerate(opened)
        ),
    ]
    data = json.loads(runner.invoke(app, ["validate", "--format", "json"]).stdout)
    assert [n["field"] for n in data["notices"]] == [
        "users",
        *(f"users.new{n:04d}.enrolment" for n in range(11)),
    ]
    assert len(data["enrolment_open"]) == 11
