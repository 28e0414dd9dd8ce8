"""The user's AWS config as `mfagen enrol` reads it: which device, whose keys, what proof.

The profiles are read as botocore reads them (the AWS CLI's own library), so `mfa_serial`,
`source_profile` and `role_arn` mean here what they mean to the CLI; the installed mfagen
block (see block.py) tells which profile is the organization's source profile.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore.configloader  # type: ignore[import-untyped]
import botocore.session  # type: ignore[import-untyped]
from botocore.exceptions import BotoCoreError  # type: ignore[import-untyped]

from mfagen import iam
from mfagen.errors import UsageError
from mfagen.user import block

SERIAL = re.compile(
    rf"arn:(?P<partition>aws[a-z-]*):iam::(?P<account>[0-9]{{12}}):mfa"
    rf"(?P<path>/(?:{iam.NAME_CHARACTER}+/)*)(?P<name>{iam.NAME_CHARACTER}{{1,{iam.MAX_MFA_DEVICE_NAME}}})"
)

Client = Any
"""A botocore client (botocore ships no type information)."""
Credentials = Mapping[str, str]
"""Temporary credentials as STS returns them (AccessKeyId, SecretAccessKey, SessionToken)."""
Clients = Callable[[str, Credentials | None], Client]
"""A client for the service, with the source profile's keys or the credentials given."""


@dataclass(frozen=True)
class Target:
    """What to enrol: the device the profile names, the keys, and a profile to prove it with."""

    profile: str
    serial: str
    source: str
    """The profile holding the long-term keys (the profile itself, or its source_profile)."""
    proof: str | None
    """A role profile of the same keys and device, or None (prove with a session token)."""
    role_arn: str = ""
    session_name: str = ""


def read_profiles(config: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The profiles of the AWS config file as botocore reads them, and its mfagen blocks."""
    try:
        text = config.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise UsageError(
            f"{config}: no AWS config file",
            "install the profile file your team handed out first: mfagen install-profile FILE",
        ) from None
    except OSError as exc:
        raise UsageError(f"{config}: cannot read: {exc.strerror}") from None
    try:  # the config file alone: the credentials file holds secrets and no mfa_serial
        loaded = botocore.configloader.load_config(str(config))
    except BotoCoreError as exc:
        raise UsageError(
            f"{config}: botocore cannot read it: {exc}",
            "the AWS CLI cannot read it either: every line is a [section] header, a "
            "key = value setting, an indented continuation or a # comment",
        ) from None
    profiles: dict[str, dict[str, Any]] = loaded["profiles"]
    return profiles, block.organizations(text)


def find_target(
    profiles: Mapping[str, Mapping[str, Any]],
    installed: list[str],
    profile: str | None,
    config: Path,
) -> Target:
    """The device, keys and proof for `profile`, or for the one installed block's source."""
    if profile is None:
        if not installed:
            raise UsageError(
                f"{config}: no mfagen block",
                "install the profile file your team handed out: mfagen install-profile FILE",
            )
        if len(installed) > 1:
            raise UsageError(
                f"{config}: {len(installed)} mfagen blocks ({', '.join(installed)}): "
                "which profile to enrol?",
                "pass --profile NAME",
            )
        profile = installed[0]
    settings = profiles.get(profile)
    if settings is None:
        raise UsageError(
            f"{config}: no profile {profile!r}", "see the names: aws configure list-profiles"
        )
    serial = str(settings.get("mfa_serial", ""))
    if not SERIAL.fullmatch(serial):
        what = (
            f"mfa_serial {serial!r} is not a virtual MFA device's ARN"
            if serial
            else "no mfa_serial"
        )
        raise UsageError(
            f"{config}: profile {profile!r}: {what}",
            "expected mfa_serial = arn:aws:iam::<account>:mfa/<device>, as in the handed-out file",
        )
    source = str(settings.get("source_profile", profile))
    if "role_arn" in settings:
        return Target(profile, serial, source, profile, *_role(profile, settings))
    for name, other in profiles.items():
        same = other.get("source_profile") == source and other.get("mfa_serial") == serial
        if same and other.get("role_arn"):
            return Target(profile, serial, source, name, *_role(name, other))
    return Target(profile, serial, source, None)


def _role(name: str, settings: Mapping[str, Any]) -> tuple[str, str]:
    if "source_profile" not in settings:
        raise UsageError(
            f"profile {name!r} has a role_arn but no source_profile",
            "mfagen enrol creates the device with the long-term keys of a source profile",
        )
    return str(settings["role_arn"]), str(settings.get("role_session_name", "mfagen-enrol"))


def session_clients(config: Path, profile: str) -> Clients:
    """Clients of a botocore session of `profile`, with that config file (as the CLI makes)."""
    session = botocore.session.Session(profile=profile)
    session.set_config_variable("config_file", str(config))

    def make(service: str, credentials: Credentials | None) -> Client:
        if credentials is None:
            return session.create_client(service)
        return session.create_client(
            service,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )

    return make
