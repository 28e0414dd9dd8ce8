"""Print tests/cases/large-tier.yaml: a 150-member tier next to two small ones."""

MEMBERS = 150

HEADER = """\
# A tier with 150 members: too many to list their ARNs within IAM's 2,048-character trust
# policy quota, so mfagen admits them by a user tag instead (see the README's security model).
# Generated: python tests/cases/make_large_tier.py > tests/cases/large-tier.yaml
version: 1
organization: bigco
identity_account: identity
defaults:
  region: us-east-1
accounts:
  identity: {id: "444444444444"}
  workloads:
    id: "555555555555"
    terraform_role: arn:aws:iam::555555555555:role/OrganizationAccountAccessRole
tiers:
  developer: {preset: poweruser, accounts: [workloads]}
  readonly: {preset: readonly}
  admin: {preset: admin}
users:
  root-admin: {tiers: [admin]}
"""


def main() -> None:
    lines = [HEADER.rstrip("\n")]
    for number in range(1, MEMBERS + 1):
        tiers = "[developer, readonly]" if number % 10 == 0 else "[developer]"
        lines.append(f"  dev{number:03d}: {{tiers: {tiers}}}")
    print("\n".join(lines))  # noqa: T201 - the script's output is the file


if __name__ == "__main__":
    main()
