"""The fast reader of mfagen's users map returns exactly what python-hcl2 returns, or nothing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mfagen import hcl
from mfagen.audit import AuditInputError, fastpath
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
        assert "  users = {" not in remainder  # the names map and created users stay


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


def test_a_user_named_twice_is_an_error_on_its_line() -> None:
    text = rendered("accounts")["terraform/users.tf"]
    first = text.index('    "alice" = {')
    entry = text[first : text.index("    }\n", first) + 6]
    edited = text.replace(entry, entry + entry, 1)
    line = edited[: first + len(entry)].count("\n") + 1
    with pytest.raises(AuditInputError) as raised:
        fastpath.split_users("users.tf", edited)
    assert raised.value.line == line


def test_the_block_must_close_as_mfagen_writes_it() -> None:
    text = rendered("accounts")["terraform/users.tf"]
    tags = '"mfagen-tier-admin" = "true"'
    tagged = text.replace("tags   = {}", f"tags   = {{ {tags} }}", 1)
    assert fastpath.split_users("users.tf", tagged)[1] is not None
    for edited in (
        text.replace("\n  }\n}\n", "\n  }\n", 1),
        text.replace("\n  }\n}\n", "\n", 1),
        text[: text.index("\n  }\n}\n") + 1],
        tagged.replace(tags, f"{tags}, {tags}", 1),
    ):
        remainder, fast = fastpath.split_users("users.tf", edited)
        assert fast is None
        assert remainder == edited
