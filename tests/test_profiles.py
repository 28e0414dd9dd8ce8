"""Profile files read back with configparser and with botocore, as the AWS CLI reads them."""

from __future__ import annotations

import configparser
from pathlib import Path

import botocore.session
import pytest

from mfagen import api, plan
from tests.golden import CASES

SECRET_KEYS = {"aws_access_key_id", "aws_secret_access_key", "aws_session_token"}


def _profile_files() -> list[tuple[str, plan.ProfileFile, str]]:
    cases = []
    for case, (config, _) in sorted(CASES.items()):
        validated = api.validate(config)
        files = api.render_files(validated.plan)
        for file in validated.plan.profiles[:20]:
            text = files[f"profiles/{file.user}/config"].decode()
            cases.append((f"{case}:{file.user}", file, text))
    return cases


PROFILE_FILES = _profile_files()


@pytest.mark.parametrize(
    ("file", "text"), [c[1:] for c in PROFILE_FILES], ids=[c[0] for c in PROFILE_FILES]
)
def test_profile_file_reads_back_with_configparser(file: plan.ProfileFile, text: str) -> None:
    lines = text.splitlines()
    assert lines[0] == f"# >>> mfagen {file.organization}"
    assert lines[-1] == f"# <<< mfagen {file.organization}"
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.read_string(text)
    assert parser.sections() == [f"profile {p.name}" for p in file.profiles]
    for profile in file.profiles:
        section = dict(parser[f"profile {profile.name}"])
        assert not SECRET_KEYS & section.keys()
        expected = {"region": profile.region}
        if profile.credential_process:
            target = profile.name.removesuffix("-tf")
            assert profile.credential_process == (
                f"aws configure export-credentials --profile {target} --format process"
            )
            assert f"profile {target}" in parser
            expected["credential_process"] = profile.credential_process
        else:
            expected["mfa_serial"] = profile.mfa_serial or ""
        if profile.role_arn:
            expected |= {
                "role_arn": profile.role_arn,
                "source_profile": file.organization,
                "role_session_name": file.user,
            }
        assert section == expected


@pytest.mark.parametrize(
    ("file", "text"), [c[1:] for c in PROFILE_FILES[:8]], ids=[c[0] for c in PROFILE_FILES[:8]]
)
def test_botocore_loads_every_profile(
    file: plan.ProfileFile, text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config"
    config.write_text(text)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    session = botocore.session.Session()
    profiles = session.full_config["profiles"]
    assert sorted(profiles) == sorted(p.name for p in file.profiles)
    for profile in file.profiles:
        scoped = botocore.session.Session(profile=profile.name)
        assert scoped.get_config_variable("region") == profile.region
        assert profiles[profile.name].get("role_arn") == profile.role_arn
        assert profiles[profile.name].get("mfa_serial") == profile.mfa_serial
