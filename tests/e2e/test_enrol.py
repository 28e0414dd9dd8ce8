"""A user's first ten minutes, for real: install the handed-out file, enrol, use a role.

The user alice has an access key and no MFA device on the local endpoint (identity account
111111111111). In a temporary HOME she installs the profile file the team handed out
(`output/profiles/alice/config`) with `mfagen install-profile FILE`, adds her keys with the
real AWS CLI, and runs `mfagen enrol` on a pseudo-terminal (so the QR code and the secret are
shown), typing codes one per line on stdin. The codes are real TOTP codes computed from the
secret shown, although moto accepts any code; moto evaluates no policy either, so the closed
enrolment window is proven in tests/test_enrol.py with a simulated AccessDenied.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore.session  # type: ignore[import-untyped]
import pyotp
import pytest

from tests.helpers import ROOT

from . import accounts
from .motoserver import MotoEndpoint

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

IDENTITY = "111111111111"
HANDED_OUT = ROOT / "output" / "profiles" / "alice" / "config"
SERIAL = f"arn:aws:iam::{IDENTITY}:mfa/alice-phone"
SECRET_SHOWN = re.compile(r"Or type this secret into the app: ([A-Z2-7 ]+)\r?\n")
TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Run:
    returncode: int
    terminal: str
    """Everything the command wrote to its terminal (stdout and stderr)."""


def run_on_terminal(command: list[str], env: dict[str, str], answer: Any) -> Run:
    """Run `command` with stdout and stderr on a pseudo-terminal and stdin a pipe.

    `answer(terminal_so_far)` returns the lines to type once it has seen enough (or None to
    wait for more output); they are written to stdin, which is then closed.
    """
    main, secondary = pty.openpty()
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=secondary, stderr=secondary, env=env
    )
    os.close(secondary)
    assert process.stdin is not None
    seen = b""
    answered = False
    deadline = time.monotonic() + TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(main, 65536)
                except OSError:  # EIO: the command exited and the terminal closed
                    break
                if not chunk:
                    break
                seen += chunk
            if not answered:
                lines = answer(seen.decode("utf-8", "replace"))
                if lines is not None:
                    process.stdin.write("".join(f"{line}\n" for line in lines).encode())
                    process.stdin.close()
                    answered = True
            elif process.poll() is not None and not ready:
                break
        returncode = process.wait(timeout=TIMEOUT_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(main)
    return Run(returncode, seen.decode("utf-8", "replace"))


def codes_from(terminal: str, count: int) -> tuple[str, list[str]] | None:
    """The secret shown on the terminal, and `count` real codes of consecutive time windows."""
    shown = SECRET_SHOWN.search(terminal)
    if shown is None:
        return None
    secret = shown[1].replace(" ", "")
    totp = pyotp.TOTP(secret)
    now = time.time()
    codes: list[str] = []
    window = 0
    while len(codes) < count:  # one window's code may repeat the last one: take the next
        code = totp.at(now + 30 * window)
        window += 1
        if code not in codes:
            codes.append(code)
    return secret, codes


@pytest.fixture
def alice_home(
    fresh_moto: MotoEndpoint, tmp_path: Path, aws_cli: Path
) -> tuple[Path, dict[str, str]]:
    """alice with a key and no device; her HOME with the handed-out file installed."""
    keys = accounts.create_user_with_key(fresh_moto.url, IDENTITY, "alice")
    home = tmp_path / "home"
    home.mkdir()
    env = accounts.subprocess_env(fresh_moto.url, home)
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        del env[name]  # each profile's own region counts
    handed_out = tmp_path / "mail" / "config"
    handed_out.parent.mkdir()
    shutil.copyfile(HANDED_OUT, handed_out)
    installed = mfagen(env, "install-profile", str(handed_out))
    assert installed.stdout == f"{home / '.aws' / 'config'}: added the mfagen block\n"
    for key, value in (
        ("aws_access_key_id", keys.access_key_id),
        ("aws_secret_access_key", keys.secret_access_key),
    ):
        subprocess.run(
            [str(aws_cli), "configure", "set", key, value, "--profile", "acme"],
            env=env,
            check=True,
            timeout=60,
        )
    return home, env


def mfagen(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "mfagen", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_enrol_creates_enables_and_proves_the_device_the_profile_names(
    fresh_moto: MotoEndpoint,
    alice_home: tuple[Path, dict[str, str]],
    aws_cli: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home, env = alice_home
    assert (home / ".aws" / "config").read_bytes() == HANDED_OUT.read_bytes()
    found: list[tuple[str, list[str]]] = []

    def answer(terminal: str) -> list[str] | None:
        secret_and_codes = codes_from(terminal, 4)
        if secret_and_codes is None:
            return None
        found.append(secret_and_codes)
        return secret_and_codes[1][:3]

    fresh_moto.start_recording()
    try:
        run = run_on_terminal([sys.executable, "-m", "mfagen", "enrol"], env, answer)
        enables = fresh_moto.recorded_calls("EnableMFADevice")
        assumes = fresh_moto.recorded_calls("AssumeRole")
    finally:
        fresh_moto.stop_recording()

    assert run.returncode == 0, run.terminal
    [(secret, codes)] = found
    assert "\u2588" in run.terminal  # the QR code, drawn with blocks
    assert f"{SERIAL}: enrolled for alice" in run.terminal
    assert "now ask your admin to close your enrolment window" in run.terminal
    assert (
        "proved with --profile acme-dev-admin: you are now "
        "arn:aws:sts::222222222222:assumed-role/AdminMFARole/alice"
    ) in run.terminal
    assert [(c["UserName"], c["SerialNumber"]) for c in enables] == [("alice", SERIAL)]
    assert [(c["AuthenticationCode1"], c["AuthenticationCode2"]) for c in enables] == [
        (codes[0], codes[1])
    ]
    assert [(c["RoleArn"], c["SerialNumber"], c["TokenCode"]) for c in assumes] == [
        ("arn:aws:iam::222222222222:role/mfa/AdminMFARole", SERIAL, codes[2])
    ]

    iam = accounts.client_in_account(fresh_moto.url, "iam", IDENTITY)
    assigned = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert [(d["SerialNumber"], d["User"]["UserName"]) for d in assigned] == [(SERIAL, "alice")]
    assert [d["SerialNumber"] for d in iam.list_mfa_devices(UserName="alice")["MFADevices"]] == [
        SERIAL
    ]

    # A role profile works through botocore, asking for the code of that device...
    prompts: list[str] = []
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    identity = role_session("acme-prod-admin", prompts, codes[3]).get_caller_identity()
    assert identity["Arn"] == "arn:aws:sts::333333333333:assumed-role/AdminMFARole/alice"
    assert prompts == [f"Enter MFA code for {SERIAL}: "]
    # ... and through the AWS CLI, the code typed on stdin.
    cli = subprocess.run(
        [str(aws_cli), "sts", "get-caller-identity", "--profile", "acme-identity-admin"],
        input=f"{codes[3]}\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert cli.returncode == 0, cli.stderr
    assert f"Enter MFA code for {SERIAL}: " in cli.stderr
    assert json.loads(cli.stdout)["Arn"] == (
        f"arn:aws:sts::{IDENTITY}:assumed-role/AdminMFARole/alice"
    )
    # The secret was shown on the terminal only: no file holds it.
    holding = [p for p in home.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]
    assert holding == []


def test_enrol_again_creates_nothing_and_proves_the_device(
    fresh_moto: MotoEndpoint, alice_home: tuple[Path, dict[str, str]]
) -> None:
    env = alice_home[1]
    first = run_on_terminal(
        [sys.executable, "-m", "mfagen", "enrol"],
        env,
        lambda terminal: (codes_from(terminal, 3) or (None, None))[1],
    )
    assert first.returncode == 0, first.terminal

    again = run_on_terminal(
        [sys.executable, "-m", "mfagen", "enrol", "--profile", "acme-prod-admin"],
        env,
        lambda terminal: ["123456"] if "MFA code 3" in terminal else None,
    )
    assert again.returncode == 0, again.terminal
    assert f"{SERIAL}: already enrolled for alice, nothing created" in again.terminal
    assert "Or type this secret" not in again.terminal
    assert "enrolment window" not in again.terminal
    assert (
        "proved with --profile acme-prod-admin: you are now "
        "arn:aws:sts::333333333333:assumed-role/AdminMFARole/alice"
    ) in again.terminal
    iam = accounts.client_in_account(fresh_moto.url, "iam", IDENTITY)
    assert len(iam.list_virtual_mfa_devices()["VirtualMFADevices"]) == 1


def role_session(profile: str, prompts: list[str], code: str) -> Any:
    """An STS client of `profile`, whose MFA prompt is answered with `code`."""

    def prompter(prompt: str) -> str:
        prompts.append(prompt)
        return code

    session = botocore.session.Session(profile=profile)
    provider = session.get_component("credential_provider").get_provider("assume-role")
    provider._prompter = prompter  # botocore has no public hook for the MFA prompt
    return session.create_client("sts")


def test_a_leftover_device_of_that_name_is_reported_with_how_to_delete_it(
    fresh_moto: MotoEndpoint, alice_home: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    home, env = alice_home
    iam = accounts.client_in_account(fresh_moto.url, "iam", IDENTITY)
    iam.create_virtual_mfa_device(VirtualMFADeviceName="alice-phone")  # never enabled
    picture = tmp_path / "qr.png"
    result = subprocess.run(
        [sys.executable, "-m", "mfagen", "enrol", "--qr-png", str(picture)],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr == (
        f"mfagen: error: a virtual MFA device {SERIAL} exists already, assigned to nobody (an "
        "enrolment that did not finish)\n"
        "  hint: delete it, then run mfagen enrol again: aws iam delete-virtual-mfa-device "
        f"--serial-number {SERIAL} --profile acme (your admin, if your keys may not)\n"
    )
    assert not picture.exists()
    assert [d["SerialNumber"] for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"]] == [
        SERIAL
    ]
    assert (home / ".aws" / "config").read_bytes() == HANDED_OUT.read_bytes()
