"""IAM quotas and names on what the module creates; limits can be raised per account."""

from __future__ import annotations

from mfagen.audit.checks import quotas
from mfagen.audit.checks.quotas import Limits
from mfagen.audit.model import Module
from mfagen.audit.read import terraform

from .cases import Files, audit, edit_policy, keys, rendered, replace


def read(files: Files) -> Module:
    return terraform.read({p: t for p, t in files.items() if p.startswith("terraform/")})


def messages(found: Module, limits: Limits | None = None) -> list[str]:
    return [f.message for f in quotas.check(found, limits or Limits())]


def test_the_rendered_examples_are_within_every_quota() -> None:
    for name in ("accounts", "seed", "large-tier"):
        assert messages(read(rendered(name))) == [], name


def long_trust(files: Files) -> Files:
    arns = [f"arn:aws:iam::111111111111:user/member{i:03d}" for i in range(60)]

    def widen(document: dict[str, object]) -> None:
        statement = document["Statement"][0]  # type: ignore[index]
        statement["Condition"]["ArnEquals"]["aws:PrincipalArn"] = arns

    return edit_policy(files, "terraform/account_dev.tf", "aws_iam_role.dev__s3", widen)


def test_trust_policy_size_and_a_raised_limit() -> None:
    found = read(long_trust(rendered("accounts")))
    role = next(r for r in found.roles if r.key == "dev__s3")
    assert 2048 < role.trust_size < 4096
    assert messages(found) == [
        (
            f"the trust policy of {role.arn} has {role.trust_size} characters, more than IAM's "
            "2048 (--trust-policy-chars if the account's quota was raised)"
        )
    ]
    assert messages(found, Limits(trust_policy_chars=4096)) == []


def test_sizes_count_characters_without_whitespace() -> None:
    found = read(rendered("seed"))
    role = next(r for r in found.roles if r.key == "main__admin")
    text = rendered("seed")["terraform/account_main.tf"]
    body = text[text.index("<<-EOT") + 6 : text.index("EOT\n", text.index("<<-EOT") + 6)]
    assert role.trust_size == len("".join(body.split()))


def test_managed_policy_size_and_counts() -> None:
    found = read(rendered("accounts"))
    manage = found.policies[0]
    assert messages(found, Limits(managed_policy_chars=manage.size - 1)) == [
        (
            f"managed policy ManageMFAPolicy has {manage.size} characters, more than IAM's "
            f"{manage.size - 1} (--managed-policy-chars if the account's quota was raised)"
        )
    ]
    assert messages(found, Limits(managed_policies_per_group=1)) == [
        (
            "group AdminMFAGroup has 2 managed policies attached, more than IAM's 1 "
            "(--managed-policies-per-group)"
        )
    ]
    assert messages(found, Limits(groups_per_user=1)) == [
        "user bob is in 2 groups, more than IAM's 1 (--groups-per-user)",
        "user carol.smith@acme is in 2 groups, more than IAM's 1 (--groups-per-user)",
    ]
    group_inline = messages(found, Limits(group_inline_chars=100))
    assert len(group_inline) == 5
    assert all("the inline policies of group" in message for message in group_inline)


def test_names_paths_and_case_insensitive_uniqueness() -> None:
    long_name = "R" * 65
    files = replace(
        rendered("seed"), "terraform/account_main.tf", '"AdminMFARole"', f'"{long_name}"'
    )
    expected = f"role name {long_name!r} is not 1-64 characters of letters, digits and +=,.@_-"
    assert expected in messages(read(files))
    files = replace(rendered("seed"), "terraform/account_main.tf", '"AdminMFARole"', '"AdminRôle"')
    assert (  # IAM's \w is ASCII: no accented letter
        "role name 'AdminRôle' is not 1-64 characters of letters, digits and +=,.@_-"
        in messages(read(files))
    )
    files = replace(rendered("seed"), "terraform/account_main.tf", '"S3MFARole"', '"adminmfarole"')
    assert (
        "role name 'adminmfarole' is used twice in account 123456789012 (IAM names ignore case)"
        in messages(read(files))
    )
    files = replace(
        rendered("accounts"), "terraform/identity.tf", 'path     = "/mfa/"', 'path     = "mfa"', 1
    )
    assert "group path 'mfa' is not a valid IAM path (/.../, at most 512)" in messages(read(files))


def test_session_duration_range() -> None:
    files = replace(rendered("seed"), "terraform/account_main.tf", "= 3600", "= 60", 1)
    assert any("max_session_duration 60" in m for m in messages(read(files)))


def test_quota_findings_reach_the_report() -> None:
    report = audit(long_trust(rendered("accounts")))
    assert any(inv == "quota" for inv, _ in keys(report))
    assert report.limits["trust_policy_chars"] == 2048
