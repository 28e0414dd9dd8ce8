"""Property tests: random valid configs render and read back; random defects never crash.

Hypothesis runs derandomized and without its example database, so CI sees the same examples
on every run; `max_examples` keeps the file well under a minute on a small machine.
"""

from __future__ import annotations

import configparser
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import botocore.session
import hcl2
import pytest
import yaml
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from mfagen import api, naming
from mfagen.cli import app

RENDERS = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    # each example renders and parses HCL (~0.5 s): shrinking a failure would take many
    # minutes, and the unshrunk example is printed all the same
    phases=[Phase.explicit, Phase.generate],
)
MUTATIONS = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    # the configs are built from several lists and dicts: generating them is the slow part
    suppress_health_check=[HealthCheck.too_slow],
)
runner = CliRunner()

REGIONS = ["eu-west-1", "eu-north-1", "us-east-1", "ap-southeast-2", "ca-west-1"]
ACTIONS = ["s3:GetObject", "s3:List*", "ec2:Describe*", "lambda:InvokeFunction", "*"]
RESOURCES = ["*", "arn:aws:s3:::acme-artifacts/*", "arn:aws:lambda:eu-west-1:111111111111:*"]
MANAGED = [
    "arn:aws:iam::aws:policy/AWSLambda_FullAccess",
    "arn:aws:iam::aws:policy/ReadOnlyAccess",
    "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
]
NAMING = [
    {},
    {"role": "{tier}-mfa", "group": "mfa-{tier}"},
    {"role": "Acme{Tier}", "group": "Acme{Tier}Group", "policy": "AcmeSelfService"},
]
DURATIONS = st.one_of(
    st.sampled_from(["1h", "4h", "12h", "90m", "1h30m"]), st.integers(3600, 43200)
)

# Accounts have no '-' so that '<organization>-<account>-<tier>' profile names cannot clash.
account_names = st.from_regex(r"[a-z][a-z0-9]{0,9}", fullmatch=True)
tier_names = st.from_regex(r"[a-z][a-z0-9]{0,7}(?:[-_][a-z0-9]{1,5})?", fullmatch=True).filter(
    lambda name: naming.pascal(name).lower() not in {"manage", "managemfa"}
)
# Lowercase, no '-': a default device name (the user's) never equals a '<user>-phone' one.
user_names = st.from_regex(r"[a-z][a-z0-9._@+=,]{1,15}", fullmatch=True).filter(
    lambda name: set(name) != {"."}
)


def _pascal_key(name: str) -> str:
    """Tiers whose PascalCase names differ only in case would clash in IAM."""
    return naming.pascal(name).lower()


@st.composite
def statements(draw: st.DrawFn, *, console: bool) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "actions": draw(st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=3, unique=True)),
        "resources": draw(
            st.lists(st.sampled_from(RESOURCES), min_size=1, max_size=2, unique=True)
        ),
    }
    if not console and draw(st.booleans()):
        statement["effect"] = "Deny"
    if draw(st.booleans()):
        statement["conditions"] = {"Bool": {"aws:SecureTransport": "true"}}
    return statement


@st.composite
def tiers(draw: st.DrawFn, accounts: list[str], enforce_mfa: bool) -> dict[str, Any]:
    console = enforce_mfa and draw(st.booleans())
    tier: dict[str, Any] = {}
    if draw(st.booleans()):
        tier["preset"] = draw(st.sampled_from(["admin", "poweruser", "readonly", "s3"]))
    managed = draw(st.lists(st.sampled_from(MANAGED), max_size=2, unique=True))
    if tier.get("preset") == "readonly" and MANAGED[1] in managed:
        managed.remove(MANAGED[1])
    if managed:
        tier["managed_policies"] = managed
    written = draw(st.lists(statements(console=console), max_size=2))
    for index, statement in enumerate(written):
        if draw(st.booleans()):
            statement["sid"] = f"Statement{index}"
    if written or not tier:
        tier["statements"] = written or [{"actions": ["s3:ListAllMyBuckets"], "resources": ["*"]}]
    if draw(st.booleans()):
        tier["accounts"] = draw(
            st.lists(st.sampled_from(accounts), min_size=1, max_size=len(accounts), unique=True)
        )
    if console:
        tier["console"] = True
    if draw(st.booleans()):
        tier["session_duration"] = draw(DURATIONS)
    if draw(st.booleans()):
        tier["description"] = draw(st.sampled_from(["Deployers", "Read-only access, all day"]))
    return tier


@st.composite
def defaults(draw: st.DrawFn, enforce_mfa: bool) -> dict[str, Any]:
    section: dict[str, Any] = {"region": draw(st.sampled_from(REGIONS)), "enforce_mfa": enforce_mfa}
    if draw(st.booleans()):
        section["session_duration"] = draw(DURATIONS)
    if draw(st.booleans()):
        section["mfa_max_age"] = draw(st.sampled_from(["1h", "15m", 900]))
    if draw(st.booleans()):
        section["path"] = "/mfa/"
    if draw(st.booleans()):
        section["create_users"] = False
    return section


@st.composite
def users(draw: st.DrawFn, tier_names: list[str]) -> dict[str, Any]:
    section: dict[str, Any] = {}
    for name in draw(st.lists(user_names, max_size=6, unique=True)):
        most = min(len(tier_names), 10)
        user: dict[str, Any] = {
            "tiers": draw(st.lists(st.sampled_from(tier_names), max_size=most, unique=True))
        }
        if draw(st.booleans()):
            user["mfa_device"] = f"{name}-phone"
        if draw(st.booleans()):
            user["region"] = draw(st.sampled_from(REGIONS))
        section[name] = user
    return section


@st.composite
def valid_configs(draw: st.DrawFn) -> dict[str, Any]:
    accounts = draw(st.lists(account_names, min_size=1, max_size=4, unique=True))
    ids = draw(
        st.lists(st.from_regex(r"[0-9]{12}", fullmatch=True), min_size=4, max_size=4, unique=True)
    )
    enforce_mfa = draw(st.booleans())
    data: dict[str, Any] = {
        "version": 1,
        "organization": draw(st.from_regex(r"[a-z0-9][a-z0-9-]{0,11}", fullmatch=True)),
        "defaults": draw(defaults(enforce_mfa)),
    }
    identity = draw(st.sampled_from(accounts))
    if len(accounts) > 1 or draw(st.booleans()):
        data["identity_account"] = identity
    if patterns := draw(st.sampled_from(NAMING)):
        data["naming"] = patterns
    data["accounts"] = {}
    for name, account_id in zip(accounts, ids, strict=False):
        account: dict[str, Any] = {"id": account_id}
        if draw(st.booleans()):
            account["region"] = draw(st.sampled_from(REGIONS))
        if len(accounts) > 1 and name != identity:
            account["terraform_role"] = f"arn:aws:iam::{account_id}:role/OrganizationAccountAccess"
        data["accounts"][name] = account
    names = draw(st.lists(tier_names, min_size=1, max_size=5, unique_by=_pascal_key))
    data["tiers"] = {name: draw(tiers(accounts, enforce_mfa)) for name in names}
    data["users"] = draw(users(names))
    if draw(st.booleans()):
        data["profiles"] = {"credential_process": True}
    if draw(st.booleans()):
        per_account = draw(st.booleans())
        key = "mfagen/{account}.tfstate" if per_account else "mfagen/terraform.tfstate"
        data["terraform"] = {
            "layout": "per-account" if per_account else "single",
            "backend": {"type": "s3", "config": {"bucket": "acme-state", "key": key}},
        }
    return data


@contextmanager
def _folder() -> Iterator[Path]:
    """A fresh folder per example (pytest's tmp_path is one per test, not per example)."""
    with tempfile.TemporaryDirectory(prefix="mfagen-prop-") as name:
        yield Path(name)


def _write(folder: Path, data: dict[str, Any]) -> Path:
    path = folder / "accounts.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _check_profile(text: str, folder: Path, organization: str) -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    sections = parser.sections()
    assert f"profile {organization}" in sections
    config_file = folder / "aws-config"
    config_file.write_text(text, encoding="utf-8")
    session = botocore.session.Session()
    session.set_config_variable("config_file", str(config_file))
    profiles = session.full_config["profiles"]
    assert {f"profile {name}" for name in profiles} == set(sections)
    for name, values in profiles.items():
        assert values == dict(parser[f"profile {name}"])
        assert not {"aws_access_key_id", "aws_secret_access_key"} & values.keys()
        if "credential_process" in values:  # `<profile>-tf`: the role profile's cached keys
            assert name.endswith("-tf")
            assert f"--profile {name.removesuffix('-tf')} " in values["credential_process"]
            assert name.removesuffix("-tf") in profiles
            continue
        assert values["mfa_serial"].startswith("arn:aws:iam::")
        if name != organization:
            assert values["source_profile"] == organization
            assert values["role_arn"].startswith("arn:aws:iam::")


@pytest.mark.slow
@RENDERS
@given(valid_configs())
def test_valid_configs_render_deterministically_and_read_back(data: dict[str, Any]) -> None:
    event(f"{len(data['accounts'])} accounts")
    with _folder() as folder:
        config = _write(folder, data)
        rendered = api.render_to(config, folder / "out")
        assert rendered.changes
        written = _tree(folder / "out")
        again = api.render_files(api.validate(config).plan)
        assert written == again, "two renders differ"
        profiles = [path for path in written if path.startswith("profiles/")]
        assert sorted(profiles) == sorted(f"profiles/{user}/config" for user in data["users"])
        for path in profiles:
            _check_profile(written[path].decode(), folder, data["organization"])
        modules = [path for path in written if path.endswith(".tf")]
        assert modules
        for path in modules:
            assert isinstance(hcl2.loads(written[path].decode()), dict), path


def _paths(value: Any, loc: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path and list index of `value`."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        yield (*loc, key)
        if isinstance(item, dict | list) and item:
            yield from _paths(item, (*loc, key))


def _parent(data: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc[:-1]:
        data = data[part]
    return data


ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


@st.composite
def mutated_documents(draw: st.DrawFn) -> bytes:
    data = draw(valid_configs())
    kind = draw(st.sampled_from(["delete", "retype", "garbage", "bytes", "duplicate", "truncate"]))
    event(f"mutation: {kind}")
    if kind in {"delete", "retype"}:
        loc = draw(st.sampled_from(list(_paths(data))))
        parent = _parent(data, loc)
        if kind == "delete":
            del parent[loc[-1]]
        else:
            parent[loc[-1]] = draw(ODD_VALUES)
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode()
    raw = yaml.safe_dump(data, sort_keys=False).encode()
    at = draw(st.integers(0, len(raw)))
    if kind == "garbage":
        text = draw(st.text(min_size=1, max_size=20))
        return raw[:at] + text.encode("utf-8", "surrogatepass") + raw[at:]
    if kind == "bytes":
        return raw[:at] + draw(st.binary(min_size=1, max_size=8)) + raw[at:]
    if kind == "duplicate":
        lines = raw.splitlines(keepends=True)
        index = draw(st.integers(0, len(lines) - 1))
        return b"".join([*lines[: index + 1], lines[index], *lines[index + 1 :]])
    return raw[:at]


@pytest.mark.slow
@MUTATIONS
@given(mutated_documents())
def test_mutated_configs_are_valid_or_refused_never_a_crash(raw: bytes) -> None:
    with _folder() as folder:
        path = folder / "accounts.yaml"
        path.write_bytes(raw)
        result = runner.invoke(app, ["validate", str(path)])
        assert result.exit_code in {0, 2}, (result.exit_code, result.output, result.exception)
        event(f"exit code {result.exit_code}")
        if result.exit_code == 2:
            assert "hint: " in result.stderr or "error:" in result.stderr, result.stderr
        assert "Traceback" not in result.output
