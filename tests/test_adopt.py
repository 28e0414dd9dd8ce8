"""`render --adopt`: look-ups against moto's IAM (in-process), the import ids, imports.tf and
the CLI."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import moto.iam.models
import pytest
from botocore.exceptions import ClientError, NoCredentialsError  # type: ignore[import-untyped]
from moto import mock_aws
from typer.testing import CliRunner

from mfagen import adopt, api, render
from mfagen.adopt import IamClient, Import, Leftover
from mfagen.cli import app
from mfagen.errors import AwsError
from mfagen.plan import Group, Plan, Provider, Role, SelfService
from tests.e2e.tooling import Terraform, require_terraform_tooling, terraform_env, write_cli_config
from tests.helpers import ROOT, build, minimal

SEED = ROOT / "examples" / "seed.yaml"
ACCOUNT = "123456789012"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
S3 = "arn:aws:iam::aws:policy/AmazonS3FullAccess"
READONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
MANAGE_MFA = f"arn:aws:iam::{ACCOUNT}:policy/ManageMFAPolicy"
SEED_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": ACCOUNT},
            "Action": "sts:AssumeRole",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        }
    ],
}

TRUST_REPLACED = "its trust policy becomes mfagen's: MFA, and the tier's members only"
REPLACED_POLICY = (
    "IAM cannot change its path or description to mfagen's: Terraform detaches, deletes and "
    "recreates it"
)

runner = CliRunner()


MANAGED = ("AdministratorAccess", "AmazonS3FullAccess", "ReadOnlyAccess")
"""The AWS managed policies these tests attach (ADMIN, S3, READONLY)."""


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's IAM and STS in this process (mock_aws), with dummy keys of its default account.

    moto loads AWS's ~1,600 managed policies into each of its IAM backends (seconds a test):
    it loads the three these tests attach.
    """
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    published = json.loads(moto.iam.models.aws_managed_policies_data)
    attached = json.dumps({name: published[name] for name in MANAGED})
    monkeypatch.setattr(moto.iam.models, "aws_managed_policies_data", attached)
    with mock_aws():
        yield


class Account:
    """One IAM account of the in-process moto, filled through IAM's own calls.

    `reader` is the client adopt gets: it asks for one item a page, so every list is read
    through its pages (where moto pages it), and it records the operations adopt calls.
    """

    def __init__(self, account_id: str = ACCOUNT) -> None:
        self.iam = self._client(account_id)
        self.reader = self._client(account_id)
        self.calls: list[str] = []
        self.reader.meta.events.register("provide-client-params.iam", self._one_a_page)
        self.reader.meta.events.register("before-call.iam", self._record)

    @staticmethod
    def _client(account_id: str) -> Any:
        session = boto3.session.Session(region_name="us-east-1")
        client = session.client("iam")

        def pin(request: Any, **_: Any) -> None:
            request.headers["x-moto-account-id"] = account_id

        client.meta.events.register("before-sign.iam", pin)
        return client

    @staticmethod
    def _one_a_page(params: dict[str, Any], model: Any, **_: Any) -> None:
        if "MaxItems" in model.input_shape.members:
            params.setdefault("MaxItems", 1)

    def _record(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)

    def add_role(
        self,
        name: str,
        trust: Any,
        managed: Iterable[str] = (),
        inline: Iterable[str] = (),
        **extra: Any,
    ) -> None:
        document = json.dumps(trust)
        self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=document, **extra)
        for arn in managed:
            self.iam.attach_role_policy(RoleName=name, PolicyArn=arn)
        for policy in inline:
            self.iam.put_role_policy(RoleName=name, PolicyName=policy, PolicyDocument=DOCUMENT)

    def add_group(self, name: str, managed: Iterable[str] = (), inline: Iterable[str] = ()) -> None:
        self.iam.create_group(GroupName=name)
        for arn in managed:
            self.iam.attach_group_policy(GroupName=name, PolicyArn=arn)
        for policy in inline:
            self.iam.put_group_policy(GroupName=name, PolicyName=policy, PolicyDocument=DOCUMENT)

    def add_policy(self, name: str, path: str = "/", description: str = "seed") -> str:
        created = self.iam.create_policy(
            PolicyName=name, Path=path, PolicyDocument=DOCUMENT, Description=description
        )
        return str(created["Policy"]["Arn"])

    def add_user(self, name: str, groups: Iterable[str] = (), **extra: Any) -> None:
        self.iam.create_user(UserName=name, **extra)
        for group in groups:
            self.iam.add_user_to_group(GroupName=group, UserName=name)


DOCUMENT = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
)


def seed_stack() -> Account:
    """The seed's CloudFormation stack, plus its user in both groups."""
    iam = Account()
    policy = iam.add_policy("ManageMFAPolicy")
    for tier, managed in (("Admin", ADMIN), ("S3", S3)):
        iam.add_role(f"{tier}MFARole", SEED_TRUST, [managed])
        inline = [f"AllowAssume{tier}MFAPolicy", f"{tier}MFAPolicy"]
        iam.add_group(f"{tier}MFAGroup", [policy], inline)
    iam.add_user("my-user-name", ["AdminMFAGroup", "S3MFAGroup"])
    return iam


def clients(**by_alias: Account) -> adopt.ClientFactory:
    def client_for(provider: Provider) -> IamClient:
        reader: IamClient = by_alias[provider.alias].reader
        return reader

    return client_for


@pytest.fixture
def seed_plan() -> Plan:
    return api.validate(SEED).plan


@pytest.mark.usefixtures("aws")
def test_nothing_exists_nothing_to_import(seed_plan: Plan) -> None:
    assert adopt.find(seed_plan, clients(main=Account())) == adopt.Adoption((), ())


@pytest.mark.usefixtures("aws")
def test_the_seed_stack_is_adopted_with_the_aws_provider_5_import_ids(seed_plan: Plan) -> None:
    adoption = adopt.find(seed_plan, clients(main=seed_stack()))

    assert adoption.imports_in("") == tuple(
        Import("main", address, import_id)
        for address, import_id in [
            ("aws_iam_group.tier_admin", "AdminMFAGroup"),
            ("aws_iam_group.tier_s3", "S3MFAGroup"),
            (
                "aws_iam_group_policy_attachment.tier_admin__manage_mfa",
                f"AdminMFAGroup/{MANAGE_MFA}",
            ),
            ("aws_iam_group_policy_attachment.tier_s3__manage_mfa", f"S3MFAGroup/{MANAGE_MFA}"),
            ("aws_iam_policy.manage_mfa", MANAGE_MFA),
            ("aws_iam_role.main__admin", "AdminMFARole"),
            ("aws_iam_role.main__s3", "S3MFARole"),
            (f'aws_iam_role_policy_attachment.main__admin["{ADMIN}"]', f"AdminMFARole/{ADMIN}"),
            (f'aws_iam_role_policy_attachment.main__s3["{S3}"]', f"S3MFARole/{S3}"),
            ("aws_iam_user.my-user-name", "my-user-name"),
            (
                "aws_iam_user_group_membership.my-user-name",
                "my-user-name/AdminMFAGroup/S3MFAGroup",
            ),
        ]
    )
    assert adoption.modules == (("", adoption.imports),)
    assert adoption.warnings == (
        Leftover("main", "role AdminMFARole", TRUST_REPLACED),
        Leftover("main", "role S3MFARole", TRUST_REPLACED),
        Leftover("main", "policy ManageMFAPolicy", REPLACED_POLICY),
        *(
            Leftover(
                "main",
                f"group {tier}MFAGroup",
                f"inline policy {name} stays: mfagen does not manage it",
                f"after `terraform apply`: aws iam delete-group-policy "
                f"--group-name {tier}MFAGroup --policy-name {name}",
            )
            for tier in ("Admin", "S3")
            for name in (f"AllowAssume{tier}MFAPolicy", f"{tier}MFAPolicy")
        ),
    )


@pytest.mark.usefixtures("aws")
def test_mfagens_own_policies_are_imported_and_adopting_twice_warns_of_nothing() -> None:
    tier = {
        "preset": "admin",
        "console": True,
        "statements": [{"actions": ["s3:GetObject"], "resources": ["*"]}],
    }
    plan = build(minimal(accounts={"identity": {"id": ACCOUNT}}, tiers={"admin": tier}))
    iam = Account()
    [role] = plan.roles
    iam.add_role(role.name, role.trust, [ADMIN], ["TierStatements"])
    policy = iam.add_policy("ManageMFAPolicy", description=SelfService.description)
    iam.add_group(
        "AdminMFAGroup", [ADMIN, policy], ["AllowAssumeTierRoles", "TierStatementsWithMFA"]
    )

    adoption = adopt.find(plan, clients(identity=iam))

    assert [(i.address, i.id) for i in adoption.imports] == [
        ("aws_iam_group.tier_admin", "AdminMFAGroup"),
        ("aws_iam_group_policy.tier_admin__assume", "AdminMFAGroup:AllowAssumeTierRoles"),
        ("aws_iam_group_policy.tier_admin__console", "AdminMFAGroup:TierStatementsWithMFA"),
        (
            f'aws_iam_group_policy_attachment.tier_admin__console["{ADMIN}"]',
            f"AdminMFAGroup/{ADMIN}",
        ),
        ("aws_iam_group_policy_attachment.tier_admin__manage_mfa", f"AdminMFAGroup/{policy}"),
        ("aws_iam_policy.manage_mfa", policy),
        ("aws_iam_role.identity__admin", "AdminMFARole"),
        ("aws_iam_role_policy.identity__admin", "AdminMFARole:TierStatements"),
        (f'aws_iam_role_policy_attachment.identity__admin["{ADMIN}"]', f"AdminMFARole/{ADMIN}"),
    ]
    assert adoption.warnings == ()


@pytest.mark.usefixtures("aws")
def test_membership_lists_only_mfagens_groups_the_user_is_in(seed_plan: Plan) -> None:
    iam = Account()
    iam.add_group("Developers")
    iam.add_group("S3MFAGroup")
    iam.add_user("my-user-name", ["Developers", "S3MFAGroup"])

    adoption = adopt.find(seed_plan, clients(main=iam))

    assert [i.id for i in adoption.imports if i.address.startswith("aws_iam_user")] == [
        "my-user-name",
        "my-user-name/S3MFAGroup",
    ]


@pytest.mark.usefixtures("aws")
def test_what_terraform_will_remove_or_cannot_do_is_a_warning() -> None:
    data = minimal(accounts={"identity": {"id": ACCOUNT}})
    plan = build({**data, "defaults": {"region": "eu-west-1", "create_users": False}})
    iam = Account()
    tags = [{"Key": "team", "Value": "x"}]
    iam.add_role(
        "AdminMFARole",
        SEED_TRUST,
        [ADMIN, READONLY],
        ["Extra"],
        PermissionsBoundary=READONLY,
        Tags=tags,
    )

    adoption = adopt.find(plan, clients(identity=iam))

    assert [(w.resource, w.message, w.hint) for w in adoption.warnings] == [
        ("role AdminMFARole", TRUST_REPLACED, ""),
        (
            "role AdminMFARole",
            f"managed policy {READONLY} stays attached: not mfagen's",
            (
                "after `terraform apply`: aws iam detach-role-policy --role-name AdminMFARole "
                f"--policy-arn {READONLY}"
            ),
        ),
        (
            "role AdminMFARole",
            "inline policy Extra stays: mfagen does not manage it",
            (
                "after `terraform apply`: aws iam delete-role-policy --role-name AdminMFARole "
                "--policy-name Extra"
            ),
        ),
        ("role AdminMFARole", "Terraform removes its tags team", ""),
        ("role AdminMFARole", f"Terraform removes its permissions boundary {READONLY}", ""),
        (
            "user alice",
            "does not exist, and with create_users: false Terraform cannot add it",
            "",
        ),
    ]


@pytest.mark.usefixtures("aws")
def test_a_role_at_another_path_is_replaced_and_loses_what_mfagen_does_not_manage() -> None:
    plan = build(minimal(accounts={"identity": {"id": ACCOUNT}}))
    iam = Account()
    iam.add_role("AdminMFARole", SEED_TRUST, [ADMIN, READONLY], Path="/old/")

    adoption = adopt.find(plan, clients(identity=iam))

    assert [i.address for i in adoption.imports] == [
        "aws_iam_role.identity__admin",
        f'aws_iam_role_policy_attachment.identity__admin["{ADMIN}"]',
    ]
    assert [w.message for w in adoption.warnings] == [
        (
            "IAM cannot move it from /old/ to /: Terraform replaces it, and the policies mfagen "
            "does not manage go with it"
        ),
        TRUST_REPLACED,
    ]


@pytest.mark.usefixtures("aws")
@pytest.mark.parametrize(("description", "replaced"), [("seed", True), (None, False)])
def test_the_policy_is_found_by_name_at_any_path_and_its_other_attachments_reported(
    description: str | None, replaced: bool
) -> None:
    plan = build(minimal(accounts={"identity": {"id": ACCOUNT}}))
    iam = Account()
    iam.add_policy("Unrelated")
    path = "/old/" if replaced else "/"  # found by name, then by its ARN
    arn = iam.add_policy("ManageMFAPolicy", path, description or SelfService.description)
    iam.add_group("AdminMFAGroup", [arn])
    iam.add_group("Auditors", [arn])

    adoption = adopt.find(plan, clients(identity=iam))

    assert [(i.address, i.id) for i in adoption.imports] == [
        ("aws_iam_group.tier_admin", "AdminMFAGroup"),
        ("aws_iam_group_policy_attachment.tier_admin__manage_mfa", f"AdminMFAGroup/{arn}"),
        ("aws_iam_policy.manage_mfa", arn),
    ]
    elsewhere = "also attached to group Auditors, which mfagen does not manage"
    detach = f"aws iam detach-group-policy --group-name Auditors --policy-arn {arn}"
    assert [(w.message, w.hint) for w in adoption.warnings] == (
        [
            (REPLACED_POLICY, ""),
            (
                f"{elsewhere}: IAM refuses to delete an attached policy",
                f"before `terraform apply`: {detach}",
            ),
        ]
        if replaced
        else [(elsewhere, "")]
    )


@pytest.mark.usefixtures("aws")
def test_per_account_modules_get_their_own_imports_through_their_own_client() -> None:
    accounts = {
        "identity": {"id": "111111111111"},
        "dev": {"id": "222222222222"},
        "prod": {"id": "333333333333"},
    }
    data = minimal(accounts=accounts, tiers={"admin": {"preset": "admin", "accounts": ["prod"]}})
    plan = build({**data, "terraform": {"layout": "per-account"}})
    prod, identity = Account("333333333333"), Account("111111111111")
    prod.add_role("AdminMFARole", SEED_TRUST)
    identity.add_user("alice")
    identity.add_role("AdminMFARole", SEED_TRUST)  # not in prod: not asked for here
    asked: list[str] = []

    def client_for(provider: Provider) -> IamClient:
        asked.append(provider.alias)
        return clients(identity=identity, prod=prod)(provider)

    adoption = adopt.find(plan, client_for)

    assert asked == ["identity", "prod"]  # dev holds nothing of mfagen's: never asked
    assert adoption.modules == (
        ("identity", (Import("identity", "aws_iam_user.alice", "alice"),)),
        ("prod", (Import("prod", "aws_iam_role.prod__admin", "AdminMFARole"),)),
    )


@pytest.mark.usefixtures("aws")
def test_lists_are_read_to_their_last_page(seed_plan: Plan) -> None:
    iam = seed_stack()
    for name in ("Aaa", "Bbb"):  # before ManageMFAPolicy in IAM's order
        iam.add_policy(name, "/old/")
    iam.iam.attach_role_policy(RoleName="AdminMFARole", PolicyArn=READONLY)

    adoption = adopt.find(seed_plan, clients(main=iam))

    assert iam.calls.count("ListAttachedRolePolicies") > len(seed_plan.roles)  # pages
    assert iam.calls.count("ListAttachedGroupPolicies") > len(seed_plan.groups)
    assert "aws_iam_policy.manage_mfa" in [i.address for i in adoption.imports]
    assert (
        Leftover(
            "main",
            "role AdminMFARole",
            f"managed policy {READONLY} stays attached: not mfagen's",
            "after `terraform apply`: aws iam detach-role-policy --role-name AdminMFARole "
            f"--policy-arn {READONLY}",
        )
        in adoption.warnings
    )


@pytest.mark.usefixtures("aws")
def test_the_self_service_policy_is_found_by_name_on_a_later_page(seed_plan: Plan) -> None:
    iam = Account()
    for name in ("Aaa", "Bbb", "Ccc"):
        iam.add_policy(name)
    arn = iam.add_policy("ManageMFAPolicy", "/old/")

    adoption = adopt.find(seed_plan, clients(main=iam))

    assert iam.calls.count("ListPolicies") >= 4  # one policy a page
    assert Import("main", "aws_iam_policy.manage_mfa", arn) in adoption.imports


@pytest.mark.usefixtures("aws")
def test_only_read_only_calls_are_made(seed_plan: Plan) -> None:
    assert all(name.startswith("get_") for name in dir(IamClient) if not name.startswith("_"))
    iam = seed_stack()

    adopt.find(seed_plan, clients(main=iam))

    assert iam.calls
    assert all(name.startswith(("Get", "List")) for name in iam.calls), iam.calls


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetRole"),
            "account main (123456789012): GetRole refused: AccessDenied: no, nothing written",
        ),
        (
            NoCredentialsError(),
            "account main (123456789012): no AWS credentials found, nothing written",
        ),
    ],
)
def test_aws_errors_become_an_aws_error_naming_the_account(
    seed_plan: Plan, error: Exception, message: str
) -> None:
    def refusing(provider: Provider) -> IamClient:
        raise error

    with pytest.raises(AwsError) as raised:
        adopt.find(seed_plan, refusing)

    assert raised.value.message == message
    assert raised.value.hint == (
        "--adopt reads (iam:Get*, iam:List*) with the credentials Terraform uses"
    )


def test_the_module_names_what_adopt_looks_for_as_the_plan_does(seed_plan: Plan) -> None:
    """adopt matches IAM's names with the plan's; the templates write the plan's."""
    identity = render.render(seed_plan)["terraform/identity.tf"].decode()
    names = re.findall(r'^  name += "([^"]+)"$', identity, re.M)
    group = next(g for g in seed_plan.groups if g.assume_policy)
    assert group.assume_policy_name in names
    assert f'  description = "{SelfService.description}"' in identity
    data = minimal()
    data["tiers"]["admin"] = {"statements": [{"actions": ["s3:GetObject"], "resources": ["*"]}]}
    data["tiers"]["admin"]["console"] = True
    files = render.render(build(data))
    assert f'"{Group.console_policy_name}"' in files["terraform/identity.tf"].decode()
    assert f'"{Role.inline_policy_name}"' in files["terraform/account_prod.tf"].decode()


def resources(files: dict[str, bytes], folder: str) -> dict[str, set[str] | None]:
    """`type.name` of each resource in the module -> its for_each keys (None: no for_each)."""
    found: dict[str, set[str] | None] = {}
    for path, content in files.items():
        if path.startswith(f"{folder}/") and path.count("/") == folder.count("/") + 1:
            text = content.decode()
            for kind, name, body in re.findall(
                r'resource "(\w+)" "([\w-]+)" \{\n(.*?)\n\}', text, re.S
            ):
                each = re.search(r"for_each +?= toset\((\[.*\])\)", body)
                keys = set(json.loads(each[1])) if each else None
                found[f"{kind}.{name}"] = keys
    return found


@pytest.mark.usefixtures("aws")
def test_imports_tf_lays_out_one_block_per_import_aimed_at_the_modules_resources(
    seed_plan: Plan,
) -> None:
    adoption = adopt.find(seed_plan, clients(main=seed_stack()))

    files = render.render(seed_plan, adoption=adoption)

    text = files["terraform/imports.tf"].decode()
    assert text.count("\nimport {\n") == 11
    assert (
        "\nimport {\n"
        "  provider = aws.main\n"
        f'  to       = aws_iam_role_policy_attachment.main__admin["{ADMIN}"]\n'
        f'  id       = "AdminMFARole/{ADMIN}"\n'
        "}\n"
    ) in text
    declared = resources(files, "terraform")
    for item in adoption.imports:
        target = re.fullmatch(r'(\w+\.[\w-]+)(?:\["(.+)"\])?', item.address)
        assert target, item.address
        assert target[1] in declared, item.address
        keys = declared[target[1]]
        assert (keys is None) == (target[2] is None), item.address
        assert keys is None or target[2] in keys, item.address
    assert {path: content for path, content in files.items() if "imports.tf" not in path} == (
        render.render(seed_plan)
    )


@pytest.mark.slow
@pytest.mark.terraform
@pytest.mark.usefixtures("aws")
def test_a_module_with_imports_is_formatted_and_valid(seed_plan: Plan, tmp_path: Path) -> None:
    tooling = require_terraform_tooling()
    adoption = adopt.find(seed_plan, clients(main=seed_stack()))
    for path, content in render.render(seed_plan, adoption=adoption).items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_bytes(content)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        **terraform_env(write_cli_config(tmp_path / "cli", tooling.mirror)),
    }
    terraform = Terraform(tooling.terraform, tmp_path / "terraform", env)
    terraform.run("fmt", "-check", "-diff")
    terraform.run("init", "-backend=false", "-input=false", "-no-color")
    assert "Success! The configuration is valid." in terraform.validate().stdout


@pytest.fixture
def seed_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return Path(shutil.copy(SEED, tmp_path / "accounts.yaml"))


def fake_aws(monkeypatch: pytest.MonkeyPatch, factory: adopt.ClientFactory) -> None:
    monkeypatch.setattr(adopt, "session_clients", lambda: factory)


RENDER = ["render", "--adopt"]


@pytest.mark.usefixtures("aws")
def test_cli_reports_the_imports_on_stdout_and_the_leftovers_on_stderr(seed_config: Path) -> None:
    seed_stack()  # in moto's default account, which the CLI's own boto3 session reaches

    result = runner.invoke(app, RENDER)

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:3] == [
        "adopt: 11 existing resources; `terraform apply` imports them:",
        "  aws_iam_group.tier_admin = AdminMFAGroup",
        "  aws_iam_group.tier_s3 = S3MFAGroup",
    ]
    assert result.stdout.splitlines()[-1] == "output: wrote 8 files, removed 0 stale files"
    assert result.stderr.splitlines()[:2] == [
        f"adopt: warning: main: role {role}: {TRUST_REPLACED}"
        for role in ("AdminMFARole", "S3MFARole")
    ]
    assert (
        "adopt: warning: main: group AdminMFAGroup: inline policy AdminMFAPolicy stays: mfagen "
        "does not manage it\n  hint: after `terraform apply`: aws iam delete-group-policy "
        "--group-name AdminMFAGroup --policy-name AdminMFAPolicy\n"
    ) in result.stderr
    assert Path("output/terraform/imports.tf").is_file()
    assert "terraform/imports.tf" in Path("output/.mfagen-manifest").read_text(encoding="utf-8")

    again = runner.invoke(app, ["render"])

    assert again.exit_code == 0, again.output
    assert not Path("output/terraform/imports.tf").exists()


@pytest.mark.usefixtures("aws")
def test_cli_json_carries_the_imports_and_warnings(seed_config: Path) -> None:
    Account().add_role("S3MFARole", SEED_TRUST)

    result = runner.invoke(app, [*RENDER, "--format", "json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["adopt"] == {
        "imports": [
            {"module": "", "provider": "main", "to": "aws_iam_role.main__s3", "id": "S3MFARole"}
        ],
        "warnings": [
            {
                "account": "main",
                "resource": "role S3MFARole",
                "message": TRUST_REPLACED,
                "hint": "",
            }
        ],
    }
    plain = runner.invoke(app, ["render", "--check", "--format", "json"])
    assert "adopt" not in json.loads(plain.stdout)


def test_cli_access_denied_exits_2_with_a_hint_and_writes_nothing(
    seed_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def denied(provider: Provider) -> IamClient:
        error = {"Code": "AccessDenied", "Message": "not authorized to perform iam:GetRole"}
        raise ClientError({"Error": error}, "GetRole")

    fake_aws(monkeypatch, denied)

    result = runner.invoke(app, RENDER)

    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "mfagen: error: account main (123456789012): GetRole refused: AccessDenied: not "
        "authorized to perform iam:GetRole, nothing written\n"
        "  hint: --adopt reads (iam:Get*, iam:List*) with the credentials Terraform uses\n"
    )
    assert not Path("output").exists()


@pytest.mark.parametrize(
    ("profile", "problem"),
    [
        (None, "no AWS credentials found"),
        ("nope", "The config profile (nope) could not be found"),
    ],
)
def test_cli_without_usable_credentials_exits_2_with_a_hint(
    seed_config: Path, monkeypatch: pytest.MonkeyPatch, profile: str | None, problem: str
) -> None:
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance metadata look-up
    for name in ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(name, raising=False)
    if profile:
        monkeypatch.setenv("AWS_PROFILE", profile)

    result = runner.invoke(app, RENDER)

    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"mfagen: error: account main (123456789012): {problem}, nothing written\n"
        "  hint: --adopt reads (iam:Get*, iam:List*) with the credentials Terraform uses\n"
    )
    assert not Path("output").exists()
