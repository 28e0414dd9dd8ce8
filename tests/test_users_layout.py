"""users.tf: a block per user and per membership, named after the user; moved.tf for upgrades."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from mfagen import naming, render
from mfagen.cli import app
from mfagen.naming import USER_ADDRESS_ESCAPES, user_address
from tests.helpers import build, minimal, write_config

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

IAM_USER_NAMES = st.text(
    st.sampled_from("abcXYZ0189_+=,.@-"), min_size=1, max_size=64
)  # IAM's characters, the escapes' letters among them
TERRAFORM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
"""A Terraform identifier: letters, digits, `_` and `-`, not starting with a digit or `-`."""


def read_back(address: str) -> str:
    """The user name an address was made from: user_address, undone."""
    escapes = sorted(USER_ADDRESS_ESCAPES.items(), key=lambda item: -len(item[1]))
    if re.match(r"_[0-9-]", address):
        address = address[1:]
    name, index = [], 0
    while index < len(address):
        for char, escape in escapes:
            if address.startswith(escape, index):
                name.append(char)
                index += len(escape)
                break
        else:
            assert address[index] != "_", address  # every `_` starts an escape
            name.append(address[index])
            index += 1
    return "".join(name)


@given(IAM_USER_NAMES)
def test_every_iam_user_name_has_a_terraform_name_that_reads_back_to_it(name: str) -> None:
    address = user_address(name)
    assert TERRAFORM_NAME.fullmatch(address), address
    assert read_back(address) == name  # so no two names share an address


def test_addresses_read_as_the_names_they_come_from() -> None:
    assert [
        user_address(name)
        for name in ("alice", "first.last@example.com", "j_doe", "ci+deploy=1,x", "1bob", "-x")
    ] == [
        "alice",
        "first_dot_last_at_example_dot_com",
        "j__doe",
        "ci_plus_deploy_eq_1_comma_x",
        "_1bob",
        "_-x",
    ]
    assert naming.user_address("_1bob") == "__1bob"  # not "_1bob": that is 1bob's


def users(count: int) -> dict[str, dict[str, list[str]]]:
    return {f"user{n}.name@example.com": {"tiers": ["admin"]} for n in range(count)}


def test_each_user_has_two_resources_named_after_them() -> None:
    files = render.render(build(minimal(users=users(30))))
    users_tf = files["terraform/users.tf"].decode()
    blocks = re.findall(r'^resource "(\w+)" "([\w-]+)" \{$', users_tf, re.M)
    assert len(blocks) == 2 * 30
    for index, name in enumerate(sorted(users(30))):
        address = user_address(name)
        assert blocks[2 * index : 2 * index + 2] == [
            ("aws_iam_user", address),
            ("aws_iam_user_group_membership", address),
        ]
    assert "for_each =" not in users_tf
    assert users_tf.count("moved {") == 0


def code(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip() and line.lstrip()[0] != "#"]


def test_adding_a_user_adds_their_blocks_and_nothing_else() -> None:
    base = {**users(5), "yves": {"tiers": []}}  # the self-service group exists already
    moves = {"region": "eu-west-1", "moved_blocks": True}  # an upgrade's moves grow too
    before = render.render(build(minimal(users=base, defaults=moves)))
    # in no tier: a tier's member would also join its roles' trusts, in the account files
    after = render.render(build(minimal(users={**base, "zed": {"tiers": []}}, defaults=moves)))
    changed = {path for path in after if before.get(path) != after[path]}
    assert changed == {"terraform/users.tf", "terraform/moved.tf", "profiles/zed/config"}
    for path in ("terraform/users.tf", "terraform/moved.tf"):
        old, new = before[path].decode(), after[path].decode()
        diff = list(difflib.unified_diff(old.splitlines(), new.splitlines(), n=0))
        assert not [line for line in diff[2:] if line.startswith("-")], path
        added = "\n".join(line[1:] for line in diff[2:] if line.startswith("+"))
        blocks = re.findall(r"^(?:resource|moved) [^\n]*\{\n(?:.*\n)*?\}", added, re.M)
        assert blocks, added
        assert all("zed" in block for block in blocks), added
        assert code(added) == code("\n".join(blocks)), added  # and nothing else


def test_moved_blocks_move_each_user_from_the_for_each_addresses() -> None:
    upgrade = {"region": "eu-west-1", "moved_blocks": True}
    files = render.render(build(minimal(users={"a.b": {"tiers": ["admin"]}}, defaults=upgrade)))
    assert (
        files["terraform/moved.tf"]
        .decode()
        .endswith(
            "\nmoved {\n"
            '  from = aws_iam_user.user["a.b"]\n'
            "  to   = aws_iam_user.a_dot_b\n"
            "}\n"
            "\nmoved {\n"
            '  from = aws_iam_user_group_membership.user["a.b"]\n'
            "  to   = aws_iam_user_group_membership.a_dot_b\n"
            "}\n"
        )
    )
    assert "terraform/moved.tf" not in render.render(build(minimal()))  # the default: none


@pytest.mark.parametrize("layout", ["names", "objects"])
def test_render_refuses_to_drop_the_earlier_layout_without_moved_blocks(
    layout: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rendered over mfagen 0.1's users.tf without moved blocks, Terraform would destroy every
    user (and their keys and MFA devices): render refuses, writes nothing, says what to set."""
    monkeypatch.chdir(tmp_path)
    data = minimal(users=users(3))
    write_config(tmp_path, data)
    earlier = ROOT / "tests" / "e2e" / "earlier-blueprints" / layout
    assert runner.invoke(app, ["render", "--blueprints", str(earlier)]).exit_code == 0
    before = {p: p.read_bytes() for p in Path("output").rglob("*") if p.is_file()}
    for command in (["render"], ["render", "--check"]):
        refused = runner.invoke(app, command)
        assert refused.exit_code == 2, refused.output
        assert refused.stderr.startswith(
            "accounts.yaml:5:3: error: defaults.moved_blocks: output/terraform/users.tf holds "
            "the users in mfagen 0.1's layout (for_each); rendered without moved blocks, "
            "terraform would destroy every user and create them again"
        )
    assert {p: p.read_bytes() for p in Path("output").rglob("*") if p.is_file()} == before
    write_config(tmp_path, {**data, "defaults": {**data["defaults"], "moved_blocks": True}})
    upgraded = runner.invoke(app, ["render"])
    assert upgraded.exit_code == 0, upgraded.output
    assert Path("output/terraform/moved.tf").exists()
    write_config(tmp_path, data)  # the upgrade applied: the moves may go
    assert runner.invoke(app, ["render"]).exit_code == 0
    assert not Path("output/terraform/moved.tf").exists()
