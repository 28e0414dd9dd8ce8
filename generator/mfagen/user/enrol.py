"""`mfagen enrol`: create the user's virtual MFA device, show it, enable it, prove it works.

The device is the one the profile's `mfa_serial` names; it is created and enabled with the
user's own long-term keys (the source profile's credentials, found as botocore finds them).
Its secret (the TOTP seed) lives in memory only: it reaches the user through the Prompter
(the terminal) and, when asked for, a QR picture written with mode 0600; never a log.

Nothing is left half done: a device created here and not enabled is deleted again, whatever
stopped the enrolment (codes refused three times, an error, Ctrl-C). Once enabled, a third
code proves it: the first of the user's role profiles is assumed with it (or, for a user in
no tier, a session token is got with it) and the identity AWS then answers is the result.
"""

from __future__ import annotations

import functools
import io
import re
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import segno
from botocore.exceptions import (  # type: ignore[import-untyped]
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
)

from mfagen import atomic
from mfagen.errors import EnrolError, UsageError
from mfagen.user import awsconfig
from mfagen.user.awsconfig import Client, Clients, Credentials, Target

TRIES = 3
"""How often the user may type codes AWS refuses before mfagen gives up."""
PICTURE_MODE = 0o600
ISSUER = "Amazon Web Services"
"""The issuer an authenticator app shows for the account, as AWS's own QR code names it."""
_CODE = re.compile(r"[0-9]{6}")
_USER = re.compile(r"arn:aws[a-z-]*:iam::(?P<account>[0-9]{12}):user/(?:.*/)?(?P<name>[^/]+)")
_WRONG_CODE = ("MultiFactorAuthentication failed", "invalid MFA one time pass code")
"""How STS says that the code of an AssumeRole or GetSessionToken was wrong."""


@dataclass(frozen=True)
class Setup:
    """What the user's authenticator app needs. Never printed but to the user's terminal."""

    serial: str
    user: str
    secret: str = field(repr=False)
    """The Base32 TOTP seed, as AWS returns it."""
    uri: str = field(repr=False)
    """The otpauth:// URI the QR code holds."""
    qr_text: str = field(repr=False)
    """The QR code drawn with half blocks, for a terminal."""
    picture: Path | None = None
    """Where the QR code was written as a PNG (then not drawn on the terminal)."""


class Prompter(Protocol):
    """The user at the other end: shows the setup, asks for codes. The CLI supplies one."""

    @property
    def shows_secrets(self) -> bool:
        """Whether show() reaches a terminal (a secret must not land in a file or a log)."""
        ...

    def show(self, setup: Setup) -> None: ...

    def code(self, prompt: str) -> str:
        """The next code the user types; EnrolError when there is none (input ended)."""
        ...

    def notice(self, text: str) -> None: ...


@dataclass(frozen=True)
class Enrolment:
    serial: str
    user: str
    created: bool
    """False when the device was enrolled already (nothing created)."""
    proved_with: str
    """The role profile assumed with a code, or '' for a session token."""
    identity: str
    """Who AWS says the user is with that code (an assumed-role or user ARN)."""
    picture: Path | None


def enrol(
    config: Path,
    profile: str | None,
    picture: Path | None,
    prompter: Prompter,
    clients: Clients | None = None,
) -> Enrolment:
    """Enrol the device of `profile` (default: the installed mfagen block's source profile)."""
    profiles, installed = awsconfig.read_profiles(config)
    target = awsconfig.find_target(profiles, installed, profile, config)
    if picture is None and not prompter.shows_secrets:
        raise UsageError(
            "mfagen enrol shows the device's secret on a terminal only, and this is none",
            "run it in a terminal, or pass --qr-png FILE to get the QR code as a picture",
        )
    if picture is not None and (picture.exists() or picture.is_symlink()):
        raise UsageError(f"{picture} exists already", "name a new file for --qr-png")
    if picture is not None and not picture.parent.is_dir():
        raise UsageError(f"{picture.parent}: no such folder", "name a file in an existing folder")
    if clients is None:
        clients = awsconfig.session_clients(config, target.source)
    return _Enrolling(target, picture, prompter, clients).run()


class _Enrolling:
    """One run of `mfagen enrol`, step by step (see the module docstring)."""

    def __init__(
        self, target: Target, picture: Path | None, prompter: Prompter, clients: Clients
    ) -> None:
        self.target = target
        self.picture = picture
        self.drawn = False
        """Whether this run wrote the picture (only then may it delete it)."""
        self.prompter = prompter
        self.clients = clients
        serial = awsconfig.SERIAL.fullmatch(target.serial)
        if serial is None:  # find_target checked it
            raise UsageError(f"mfa_serial {target.serial!r} is not a virtual MFA device's ARN")
        self.serial = serial
        self.used: set[str] = set()

    def run(self) -> Enrolment:
        user, account = self.whoami()
        if account != self.serial["account"]:
            raise EnrolError(
                f"{self.target.serial} is a device of account {self.serial['account']}, but "
                f"the keys of profile {self.target.source!r} are of account {account}",
                f"add your keys of account {self.serial['account']}: "
                f"aws configure --profile {self.target.source}",
            )
        iam = self._client("iam")
        created = not self.enrolled_already(iam, user)
        if created:
            self.create_and_enable(iam, user)
        else:  # said before any code is asked for: the user knows why only one is
            self.prompter.notice(
                f"{self.target.serial} is enrolled already for {user}: nothing to create, "
                "one code proves it works"
            )
        proved_with, identity = self.prove()
        return Enrolment(self.target.serial, user, created, proved_with, identity, self.picture)

    def whoami(self) -> tuple[str, str]:
        """The IAM user the source profile's keys belong to, and its account."""
        sts = self._client("sts")
        try:
            arn = str(self._aws("GetCallerIdentity", sts.get_caller_identity)["Arn"])
        except ClientError as exc:
            code, _ = _error(exc)
            raise EnrolError(
                f"AWS does not accept the keys of profile {self.target.source!r} ({code})",
                f"check or replace them: aws configure --profile {self.target.source}",
            ) from None
        user = _USER.fullmatch(arn)
        if user is None:
            raise EnrolError(
                f"the credentials of profile {self.target.source!r} are not an IAM user's ({arn})",
                "enrol with your own long-term access keys: "
                f"aws configure --profile {self.target.source}",
            )
        return user["name"], user["account"]

    def enrolled_already(self, iam: Client, user: str) -> bool:
        try:
            reply = self._aws(
                "ListMFADevices", functools.partial(iam.list_mfa_devices, UserName=user)
            )
        except ClientError:
            return False  # CreateVirtualMFADevice then says what is wrong
        return any(d["SerialNumber"] == self.target.serial for d in reply["MFADevices"])

    def create_and_enable(self, iam: Client, user: str) -> None:
        name, path = self.serial["name"], self.serial["path"]
        try:
            create = functools.partial(
                iam.create_virtual_mfa_device, VirtualMFADeviceName=name, Path=path
            )
            reply = self._aws("CreateVirtualMFADevice", create)
        except ClientError as exc:
            if _error(exc)[0] == "EntityAlreadyExists":
                raise self._taken(iam) from None
            raise self._refused("create", exc) from None
        device = reply["VirtualMFADevice"]
        with self._deleted_unless_enabled(iam, str(device["SerialNumber"])):
            if device["SerialNumber"] != self.target.serial:
                raise EnrolError(
                    f"AWS created {device['SerialNumber']}, not {self.target.serial}",
                    "check the profile's mfa_serial",
                )
            secret = bytes(device["Base32StringSeed"]).decode("ascii")
            self.prompter.show(self._setup(user, secret))
            self.enable(iam, user)

    def _setup(self, user: str, secret: str) -> Setup:
        label = urllib.parse.quote(f"{ISSUER}:{self.serial['name']}@{self.serial['account']}")
        query = urllib.parse.urlencode(
            {"secret": secret, "issuer": ISSUER}, quote_via=urllib.parse.quote
        )
        uri = f"otpauth://totp/{label}?{query}"
        qr = segno.make(uri, error="m")
        if self.picture is not None:
            png = io.BytesIO()
            qr.save(png, kind="png", scale=8)
            try:  # a new file only: never over one that took the name meanwhile
                atomic.write(self.picture, png.getvalue(), mode=PICTURE_MODE, exclusive=True)
            except OSError as exc:
                raise UsageError(
                    f"{self.picture}: cannot write the QR code: {exc.strerror}",
                    "name a new file in a folder you may write to",
                ) from None
            self.drawn = True
        drawn = io.StringIO()
        qr.terminal(out=drawn, compact=True)
        return Setup(self.target.serial, user, secret, uri, drawn.getvalue(), self.picture)

    def enable(self, iam: Client, user: str) -> None:
        for attempt in range(1, TRIES + 1):
            first = self._code("MFA code 1 (the code your app shows now): ")
            second = self._code("MFA code 2 (the next code, once it has changed): ", first)
            enable = functools.partial(
                iam.enable_mfa_device,
                UserName=user,
                SerialNumber=self.target.serial,
                AuthenticationCode1=first,
                AuthenticationCode2=second,
            )
            try:
                self._aws("EnableMFADevice", enable)
                return
            except ClientError as exc:
                if _error(exc)[0] != "InvalidAuthenticationCode":
                    raise self._refused("enable", exc) from None
            self.used.clear()  # refused codes were not used up
            self.prompter.notice(
                f"AWS did not accept those codes ({attempt} of {TRIES}): type two consecutive "
                "codes, the second once the app shows a new one"
            )
        raise EnrolError(
            f"AWS accepted none of the {TRIES} pairs of codes; the device was deleted again",
            "check that your phone sets its clock automatically, then run mfagen enrol again "
            "and scan the new QR code (remove the old entry from your app)",
        )

    def prove(self) -> tuple[str, str]:
        """Use the device once: assume the proof profile's role, or get a session token."""
        sts = self._client("sts")
        role = self.target.proof
        for attempt in range(1, TRIES + 1):
            code = self._code("MFA code 3, to prove it works (the code after those): ")
            mfa = {"SerialNumber": self.target.serial, "TokenCode": code}
            if role is None:
                what, call = "GetSessionToken", functools.partial(sts.get_session_token, **mfa)
            else:
                what, call = (
                    "AssumeRole",
                    functools.partial(
                        sts.assume_role,
                        RoleArn=self.target.role_arn,
                        RoleSessionName=self.target.session_name,
                        **mfa,
                    ),
                )
            try:
                reply = self._aws(what, call)
                break
            except ClientError as exc:
                error, message = _error(exc)
                if not any(text in message for text in _WRONG_CODE):
                    where = f"--profile {role} ({self.target.role_arn})" if role else "STS"
                    raise EnrolError(
                        f"{self.target.serial} is enrolled, but {where} refused it: "
                        f"{error}: {message}",
                        "ask your admin whether terraform apply has run since you were added "
                        "to that tier",
                    ) from None
            self.prompter.notice(f"AWS did not accept that code ({attempt} of {TRIES})")
        else:
            raise EnrolError(
                f"{self.target.serial} is enrolled, but AWS accepted none of the {TRIES} codes "
                "typed to prove it",
                "check that your phone sets its clock automatically",
            )
        issued = self._client("sts", reply["Credentials"])
        identity = self._aws("GetCallerIdentity", issued.get_caller_identity)
        return role or "", str(identity["Arn"])

    def _code(self, prompt: str, previous: str = "") -> str:
        """A code of six digits, not typed before in this run (AWS takes each code once)."""
        while True:
            code = "".join(self.prompter.code(prompt).split())
            if not _CODE.fullmatch(code):
                self.prompter.notice("a code is the 6 digits your authenticator app shows")
            elif code == previous or code in self.used:
                self.prompter.notice(
                    "that code was used already: wait until the app shows a new one"
                )
            else:
                self.used.add(code)
                return code

    @contextmanager
    def _deleted_unless_enabled(self, iam: Client, serial: str) -> Iterator[None]:
        """Delete the device created (and the picture of its secret) when enabling stops."""
        try:
            yield
        except BaseException as stopped:
            if self.picture is not None and self.drawn:
                self.picture.unlink(missing_ok=True)
            try:
                iam.delete_virtual_mfa_device(SerialNumber=serial)
            except (BotoCoreError, ClientError) as exc:
                reason = _error(exc)[0] if isinstance(exc, ClientError) else str(exc)
                first = getattr(stopped, "message", None) or (
                    "interrupted" if isinstance(stopped, KeyboardInterrupt) else repr(stopped)
                )
                raise EnrolError(
                    f"{first}; and the device created, {serial}, could not be deleted "
                    f"again ({reason})",
                    f"delete it before you try again: aws iam delete-virtual-mfa-device "
                    f"--serial-number {serial} (your admin, if your keys may not)",
                ) from None
            raise

    def _refused(self, step: str, exc: ClientError) -> EnrolError:
        code, message = _error(exc)
        serial = self.target.serial
        if code == "AccessDenied":
            return EnrolError(
                f"AWS refused to {step} {serial}: your enrolment window is closed ({message})",
                "ask your admin to set `enrolment: open` for your user in accounts.yaml "
                "(and to apply it), then run mfagen enrol again",
            )
        return EnrolError(f"AWS refused to {step} {serial}: {code}: {message}")

    def _taken(self, iam: Client) -> EnrolError:
        """The device's name is taken: by an unfinished enrolment, or by another user."""
        serial, source = self.target.serial, self.target.source
        delete = (
            f"aws iam delete-virtual-mfa-device --serial-number {serial} --profile {source} "
            "(your admin, if your keys may not)"
        )
        owner = self._owner(iam)
        if owner == "":
            return EnrolError(
                f"a virtual MFA device {serial} exists already, assigned to nobody (an "
                "enrolment that did not finish)",
                f"delete it, then run mfagen enrol again: {delete}",
            )
        if owner is not None:
            return EnrolError(
                f"the virtual MFA device {serial} exists already and is {owner}'s",
                "ask your admin for another mfa_device name for you in accounts.yaml",
            )
        return EnrolError(
            f"a virtual MFA device {serial} exists already",
            f"if it is assigned to nobody, delete it and run mfagen enrol again: {delete}",
        )

    def _owner(self, iam: Client) -> str | None:
        """Whose the device of the serial is ('' nobody's), or None when it cannot be told."""
        try:
            for page in iam.get_paginator("list_virtual_mfa_devices").paginate():
                for device in page["VirtualMFADevices"]:
                    if device["SerialNumber"] == self.target.serial:
                        return str(device.get("User", {}).get("UserName", ""))
        except (BotoCoreError, ClientError):
            return None
        return None

    def _client(self, service: str, credentials: Credentials | None = None) -> Client:
        return self._aws(f"a client for {service}", lambda: self.clients(service, credentials))

    def _aws(self, what: str, call: Callable[[], Any]) -> Any:
        """`call()`, with botocore's own errors (no keys, no network) as EnrolError."""
        source = self.target.source
        try:
            return call()
        except (NoCredentialsError, PartialCredentialsError):
            raise EnrolError(
                f"no credentials for profile {source!r}",
                f"add your long-term access keys: aws configure --profile {source}",
            ) from None
        except ProfileNotFound:
            raise EnrolError(
                f"no profile {source!r} (the source of {self.target.profile!r})",
                f"add it with your access keys: aws configure --profile {source}",
            ) from None
        except BotoCoreError as exc:
            raise EnrolError(
                f"{what} failed: {_first_line(str(exc))}",
                "check your network connection, proxy and the profile's region",
            ) from None


def _error(exc: ClientError) -> tuple[str, str]:
    error = exc.response.get("Error", {})
    return str(error.get("Code", "")), _first_line(str(error.get("Message", "")))


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text
