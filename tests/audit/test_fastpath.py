"""The fast reader of mfagen's users map returns exactly what python-hcl2 returns, or nothing."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mfagen import hcl
from mfagen.audit import fastpath
from mfagen.audit.hclread import parse

from .cases import rendered


def by_hcl2(text: str) -> object:
    return parse(text)["locals"][0]["users"]


def test_matches_python_hcl2_on_the_rendered_examples() -> None:
    for name in ("accounts", "seed", "large-tier"):
        text = rendered(name)["terraform/users.tf"]
        remainder, fast = fastpath.split_users("users.tf", text)
        assert fast is not None, name
        assert fast.body["users"] == by_hcl2(text)
        assert remainder.count("\n") == text.count("\n") - (fast.end - fast.line - 1)
        assert "locals" not in remainder


names = st.from_regex(r"[a-z][\w+=,.@-]{0,20}", fullmatch=True)
group_refs = st.lists(st.from_regex(r"tier_[a-z][a-z0-9-]{0,8}", fullmatch=True), max_size=3)
tags = st.dictionaries(
    st.from_regex(r"mfagen-tier-[a-z0-9-]{1,8}", fullmatch=True), st.just("true"), max_size=2
)


@settings(max_examples=25, deadline=None)
@given(st.dictionaries(names, st.tuples(group_refs, tags), min_size=1, max_size=6))
def test_matches_python_hcl2_on_any_users_map(
    users: dict[str, tuple[list[str], dict[str, str]]],
) -> None:
    lines = ["locals {", "  users = {"]
    for name, (groups, user_tags) in users.items():
        refs = ", ".join(f"aws_iam_group.{g}.name" for g in groups)
        lines += [
            f"    {hcl.string(name)} = {{",
            f"      groups = [{refs}]",
            f"      tags   = {hcl.value(user_tags)}",
            "    }",
        ]
    text = "\n".join([*lines, "  }", "}", ""])
    _, fast = fastpath.split_users("users.tf", text)
    assert fast is not None
    assert fast.body["users"] == by_hcl2(text)


def test_anything_else_goes_to_python_hcl2() -> None:
    text = rendered("accounts")["terraform/users.tf"]
    for edited in (
        text.replace("      tags   = {}\n", "      tags   = {}  # note\n", 1),
        text.replace("aws_iam_group.tier_admin.name", "local.admin_group", 1),
        text.replace('"alice" = {', "alice = {", 1),
        text.replace("    }\n", "    }\n\n", 1),
    ):
        remainder, fast = fastpath.split_users("users.tf", edited)
        assert fast is None
        assert remainder == edited
