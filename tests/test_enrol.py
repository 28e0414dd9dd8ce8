"""mfagen enrol, step by step, against botocore clients whose replies are stubbed.

tests/e2e/test_enrol.py runs the whole path against the local endpoint. What that endpoint
cannot show is here: it evaluates no policy (so the AccessDenied of a closed enrolment window
is simulated with botocore's Stubber), accepts any code, and never fails half-way.
"""

from __future__ import annotations

import datetime
import io
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest
import segno
from botocore.stub import Stubber
from typer.testing import CliRunner

from mfagen.cli import app
from mfagen.errors import EnrolError, UsageError
from mfagen.user import awsconfig, enrol, prompts
from tests.helpers import ROOT

runner = CliRunner()

SERIAL = "arn:aws:iam::111111111111:mfa/alice-phone"
ALICE = "arn:aws:iam::111111111111:user/alice"
SEED = b"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
ROLE = "arn:aws:iam::222222222222:role/mfa/AdminMFARole"
ASSUMED = "arn:aws:sts::222222222222:assumed-role/AdminMFARole/alice"
ISSUED = {
    "AccessKeyId": "ASIAEXAMPLEEXAMPLE12",
    "SecretAccessKey": "issued-secret",
    "SessionToken": "issued-token",
    "Expiration": datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC),
}
WINDOW_CLOSED = (
    "User: arn:aws:iam::111111111111:user/alice is not authorized to perform: "
    "iam:CreateVirtualMFADevice on resource: arn:aws:iam::111111111111:mfa/alice-phone "
    "with an explicit deny in an identity-based policy"
)


class Prompter:
    """The user: types the codes given, sees what is shown."""

    def __init__(self, *codes: str, terminal: bool = True) -> None:
        self.codes = list(codes)
        self.shows_secrets = terminal
        self.shown: list[enrol.Setup] = []
        self.notices: list[str] = []
        self.prompts: list[str] = []
        self.said: list[str] = []
        """Prompts and notices in the order the user met them."""

    def show(self, setup: enrol.Setup) -> None:
        self.shown.append(setup)

    def code(self, prompt: str) -> str:
        self.prompts.append(prompt)
        self.said.append(prompt)
        if not self.codes:
            raise KeyboardInterrupt  # the user gave up
        return self.codes.pop(0)

    def notice(self, text: str) -> None:
        self.notices.append(text)
        self.said.append(text)


class Aws:
    """Stubbed IAM and STS clients, and the STS client of the credentials STS issued."""

    def __init__(self) -> None:
        session = botocore.session.Session()
        keys = {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "example"}
        self.iam = session.create_client("iam", region_name="eu-west-1", **keys)
        self.sts = session.create_client("sts", region_name="eu-west-1", **keys)
        self.issued = session.create_client("sts", region_name="eu-west-1", **keys)
        self.stubs = {name: Stubber(getattr(self, name)) for name in ("iam", "sts", "issued")}
        self.given: list[Any] = []

    def __call__(self, service: str, credentials: Any) -> Any:
        if credentials is not None:
            self.given.append(dict(credentials))
            return self.issued
        return self.iam if service == "iam" else self.sts

    def reply(self, client: str, method: str, response: dict[str, Any], **expected: Any) -> None:
        self.stubs[client].add_response(method, response, expected or None)

    def refuse(
        self, client: str, method: str, code: str, message: str = "", **expected: Any
    ) -> None:
        self.stubs[client].add_client_error(
            method, code, message, http_status_code=403, expected_params=expected or None
        )

    def me(self) -> None:
        self.reply(
            "sts",
            "get_caller_identity",
            {"UserId": "AIDA", "Account": "111111111111", "Arn": ALICE},
        )

    def no_devices(self) -> None:
        self.reply("iam", "list_mfa_devices", {"MFADevices": []}, UserName="alice")

    def created(self) -> None:
        device = {"SerialNumber": SERIAL, "Base32StringSeed": SEED, "QRCodePNG": b"png"}
        self.reply(
            "iam",
            "create_virtual_mfa_device",
            {"VirtualMFADevice": device},
            VirtualMFADeviceName="alice-phone",
            Path="/",
        )

    def enabled(self, first: str, second: str) -> None:
        self.reply("iam", "enable_mfa_device", {}, **_enable(first, second))

    def assumed(self, code: str) -> None:
        reply = {
            "Credentials": ISSUED,
            "AssumedRoleUser": {"AssumedRoleId": "AROA:alice", "Arn": ASSUMED},
        }
        self.reply(
            "sts",
            "assume_role",
            reply,
            RoleArn=ROLE,
            RoleSessionName="alice",
            SerialNumber=SERIAL,
            TokenCode=code,
        )
        self.reply(
            "issued",
            "get_caller_identity",
            {"UserId": "AROA", "Account": "222222222222", "Arn": ASSUMED},
        )

    def deleted(self) -> None:
        self.reply("iam", "delete_virtual_mfa_device", {}, SerialNumber=SERIAL)

    def __enter__(self) -> Aws:
        for stub in self.stubs.values():
            stub.activate()
        return self

    def __exit__(self, *exc: object) -> None:
        for stub in self.stubs.values():
            stub.deactivate()

    def done(self) -> None:
        for stub in self.stubs.values():
            stub.assert_no_pending_responses()


def _enable(first: str, second: str) -> dict[str, str]:
    return {
        "UserName": "alice",
        "SerialNumber": SERIAL,
        "AuthenticationCode1": first,
        "AuthenticationCode2": second,
    }


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """alice's AWS config: the handed-out block installed as it is."""
    path = tmp_path / "aws-config"
    shutil.copyfile(ROOT / "output" / "profiles" / "alice" / "config", path)
    return path


@pytest.fixture
def aws() -> Iterator[Aws]:
    with Aws() as stubbed:
        yield stubbed


def run(config: Path, prompter: Prompter, aws: Aws, **options: Any) -> enrol.Enrolment:
    return enrol.enrol(config, options.get("profile"), options.get("picture"), prompter, aws)


def test_enrol_creates_shows_enables_and_proves_with_the_first_role_profile(
    config: Path, aws: Aws
) -> None:
    aws.me()
    aws.no_devices()
    aws.created()
    aws.enabled("111111", "222222")
    aws.assumed("333333")
    prompter = Prompter("111111", "222 222", "333333")
    result = run(config, prompter, aws)
    aws.done()

    assert result == enrol.Enrolment(SERIAL, "alice", True, "acme-dev-admin", ASSUMED, None)
    [setup] = prompter.shown
    assert setup.secret == SEED.decode()
    assert setup.uri == (
        "otpauth://totp/Amazon%20Web%20Services%3Aalice-phone%40111111111111"
        f"?secret={SEED.decode()}&issuer=Amazon%20Web%20Services"
    )
    drawn = io.StringIO()
    segno.make(setup.uri, error="m").terminal(out=drawn, compact=True)
    assert setup.qr_text == drawn.getvalue()
    assert SEED.decode() not in repr(setup)
    assert prompter.prompts == [
        "MFA code 1 (the code your app shows now): ",
        "MFA code 2 (the next code, once it has changed): ",
        "MFA code 3, to prove it works (the code after those): ",
    ]
    assert prompter.notices == []
    assert aws.given == [ISSUED]


def test_a_closed_enrolment_window_is_refused_clearly_and_creates_nothing(
    config: Path, aws: Aws
) -> None:
    """The local endpoint evaluates no policy: this AccessDenied is what AWS answers once
    ManageMFAPolicy denies CreateVirtualMFADevice without MFA (the window closed)."""
    aws.me()
    aws.no_devices()
    aws.refuse("iam", "create_virtual_mfa_device", "AccessDenied", WINDOW_CLOSED)
    prompter = Prompter()
    with pytest.raises(EnrolError) as refused:
        run(config, prompter, aws)
    aws.done()
    assert refused.value.message == (
        f"AWS refused to create {SERIAL}: your enrolment window is closed ({WINDOW_CLOSED})"
    )
    assert refused.value.hint == (
        "ask your admin to set `enrolment: open` for your user in accounts.yaml (and to apply "
        "it), then run mfagen enrol again"
    )
    assert prompter.shown == []
    assert prompter.prompts == []


def test_a_closed_window_at_enabling_deletes_the_device_again(config: Path, aws: Aws) -> None:
    aws.me()
    aws.no_devices()
    aws.created()
    aws.refuse(
        "iam", "enable_mfa_device", "AccessDenied", "explicit deny", **_enable("111111", "222222")
    )
    aws.deleted()
    with pytest.raises(EnrolError, match="your enrolment window is closed"):
        run(config, Prompter("111111", "222222"), aws)
    aws.done()


def test_refused_codes_are_asked_again_up_to_three_times(config: Path, aws: Aws) -> None:
    aws.me()
    aws.no_devices()
    aws.created()
    for first, second in (("111111", "222222"), ("333333", "444444")):
        aws.refuse(
            "iam", "enable_mfa_device", "InvalidAuthenticationCode", "bad", **_enable(first, second)
        )
    aws.enabled("555555", "666666")
    aws.assumed("777777")
    codes = ["111111", "222222", "333333", "444444", "555555", "666666", "777777"]
    prompter = Prompter(*codes)
    assert run(config, prompter, aws).created
    aws.done()
    assert prompter.notices == [
        f"AWS did not accept those codes ({n} of 3): type two consecutive codes, the second "
        "once the app shows a new one"
        for n in (1, 2)
    ]


def test_three_refusals_delete_the_device_and_its_picture(
    config: Path, aws: Aws, tmp_path: Path
) -> None:
    aws.me()
    aws.no_devices()
    aws.created()
    codes = [str(n) * 6 for n in range(1, 7)]
    for first, second in zip(codes[::2], codes[1::2], strict=True):
        aws.refuse(
            "iam", "enable_mfa_device", "InvalidAuthenticationCode", "bad", **_enable(first, second)
        )
    aws.deleted()
    picture = tmp_path / "qr.png"
    with pytest.raises(EnrolError) as refused:
        run(config, Prompter(*codes, terminal=False), aws, picture=picture)
    aws.done()
    assert refused.value.message == (
        "AWS accepted none of the 3 pairs of codes; the device was deleted again"
    )
    assert not picture.exists()


def test_a_malformed_or_repeated_code_is_asked_again(config: Path, aws: Aws) -> None:
    aws.me()
    aws.no_devices()
    aws.created()
    aws.enabled("111111", "222222")
    aws.assumed("333333")
    prompter = Prompter("12345", "111111", "111111", "222222", "222222", "333333")
    run(config, prompter, aws)
    aws.done()
    used = "that code was used already: wait until the app shows a new one"
    assert prompter.notices == ["a code is the 6 digits your authenticator app shows", used, used]


def test_ctrl_c_while_typing_codes_deletes_the_device(config: Path, aws: Aws) -> None:
    aws.me()
    aws.no_devices()
    aws.created()
    aws.deleted()
    with pytest.raises(KeyboardInterrupt):
        run(config, Prompter("111111"), aws)
    aws.done()


def test_a_device_that_cannot_be_deleted_again_is_named_with_the_command(
    config: Path, aws: Aws
) -> None:
    aws.me()
    aws.no_devices()
    aws.created()
    aws.refuse("iam", "delete_virtual_mfa_device", "AccessDenied", "no", SerialNumber=SERIAL)
    with pytest.raises(EnrolError) as refused:
        run(config, Prompter(), aws)
    aws.done()
    assert refused.value.message == (
        f"interrupted; and the device created, {SERIAL}, could not be deleted again (AccessDenied)"
    )
    assert refused.value.hint == (
        "delete it before you try again: aws iam delete-virtual-mfa-device --serial-number "
        f"{SERIAL} (your admin, if your keys may not)"
    )


DELETE = (
    f"aws iam delete-virtual-mfa-device --serial-number {SERIAL} --profile acme "
    "(your admin, if your keys may not)"
)


BOB = {
    "UserName": "bob",
    "Path": "/",
    "UserId": "AIDAEXAMPLEEXAMPLE",
    "Arn": "arn:aws:iam::111111111111:user/bob",
    "CreateDate": ISSUED["Expiration"],
}


@pytest.mark.parametrize(
    ("devices", "message", "hint"),
    [
        ([{"SerialNumber": SERIAL}],
         (f"a virtual MFA device {SERIAL} exists already, assigned to nobody (an enrolment "
          "that did not finish)"),
         f"delete it, then run mfagen enrol again: {DELETE}"),
        ([{"SerialNumber": f"{SERIAL}-2"}, {"SerialNumber": SERIAL, "User": BOB}],
         f"the virtual MFA device {SERIAL} exists already and is bob's",
         "ask your admin for another mfa_device name for you in accounts.yaml"),
        (None, f"a virtual MFA device {SERIAL} exists already",
         f"if it is assigned to nobody, delete it and run mfagen enrol again: {DELETE}"),
    ],
)  # fmt: skip
def test_a_device_of_that_name_existing_says_whose_and_how_to_remove_it(
    config: Path, aws: Aws, devices: list[dict[str, Any]] | None, message: str, hint: str
) -> None:
    aws.me()
    aws.no_devices()
    aws.refuse("iam", "create_virtual_mfa_device", "EntityAlreadyExists", "exists")
    if devices is None:
        aws.refuse("iam", "list_virtual_mfa_devices", "AccessDenied")
    else:
        aws.reply("iam", "list_virtual_mfa_devices", {"VirtualMFADevices": devices})
    with pytest.raises(EnrolError) as refused:
        run(config, Prompter(), aws)
    aws.done()
    assert (refused.value.message, refused.value.hint) == (message, hint)


def test_an_enrolled_device_is_not_created_again_and_is_proved(config: Path, aws: Aws) -> None:
    aws.me()
    device = {"UserName": "alice", "SerialNumber": SERIAL, "EnableDate": ISSUED["Expiration"]}
    aws.reply("iam", "list_mfa_devices", {"MFADevices": [device]}, UserName="alice")
    aws.assumed("123456")
    prompter = Prompter("123456")
    assert run(config, prompter, aws) == enrol.Enrolment(
        SERIAL, "alice", False, "acme-dev-admin", ASSUMED, None
    )
    aws.done()
    assert prompter.shown == []
    assert prompter.said == [
        f"{SERIAL} is enrolled already for alice: nothing to create, one code proves it works",
        "MFA code 3, to prove it works (the code after those): ",
    ]


def test_a_wrong_code_for_the_proof_is_asked_again(config: Path, aws: Aws) -> None:
    aws.me()
    aws.no_devices()
    aws.created()
    aws.enabled("111111", "222222")
    wrong = "MultiFactorAuthentication failed with invalid MFA one time pass code."
    aws.refuse("sts", "assume_role", "AccessDenied", wrong)
    aws.assumed("444444")
    prompter = Prompter("111111", "222222", "333333", "444444")
    assert run(config, prompter, aws).identity == ASSUMED
    aws.done()
    assert prompter.notices == ["AWS did not accept that code (1 of 3)"]


def test_a_role_that_refuses_the_enrolled_user_says_so(config: Path, aws: Aws) -> None:
    aws.me()
    aws.no_devices()
    aws.created()
    aws.enabled("111111", "222222")
    aws.refuse("sts", "assume_role", "AccessDenied", "not authorized to perform: sts:AssumeRole")
    with pytest.raises(EnrolError) as refused:
        run(config, Prompter("111111", "222222", "333333"), aws)
    aws.done()  # the device stays: it is enrolled
    assert refused.value.message == (
        f"{SERIAL} is enrolled, but --profile acme-dev-admin ({ROLE}) refused it: "
        "AccessDenied: not authorized to perform: sts:AssumeRole"
    )


def test_a_user_in_no_tier_proves_the_device_with_a_session_token(tmp_path: Path, aws: Aws) -> None:
    config = tmp_path / "aws-config"
    shutil.copyfile(ROOT / "output" / "profiles" / "dave" / "config", config)
    dave = "arn:aws:iam::111111111111:user/dave"
    serial = "arn:aws:iam::111111111111:mfa/dave"
    aws.reply(
        "sts", "get_caller_identity", {"UserId": "AIDA", "Account": "111111111111", "Arn": dave}
    )
    aws.reply("iam", "list_mfa_devices", {"MFADevices": []}, UserName="dave")
    device = {"SerialNumber": serial, "Base32StringSeed": SEED}
    aws.reply("iam", "create_virtual_mfa_device", {"VirtualMFADevice": device})
    aws.reply("iam", "enable_mfa_device", {})
    aws.reply(
        "sts", "get_session_token", {"Credentials": ISSUED}, SerialNumber=serial, TokenCode="333333"
    )
    aws.reply(
        "issued", "get_caller_identity", {"UserId": "AIDA", "Account": "111111111111", "Arn": dave}
    )
    result = run(config, Prompter("111111", "222222", "333333"), aws)
    aws.done()
    assert result == enrol.Enrolment(serial, "dave", True, "", dave, None)


def test_keys_of_another_account_are_refused_before_anything_is_created(
    config: Path, aws: Aws
) -> None:
    other = "arn:aws:iam::999999999999:user/alice"
    aws.reply(
        "sts", "get_caller_identity", {"UserId": "AIDA", "Account": "999999999999", "Arn": other}
    )
    with pytest.raises(EnrolError, match="the keys of profile 'acme' are of account 999999999999"):
        run(config, Prompter(), aws)
    aws.done()


def test_a_picture_is_written_with_mode_0600_and_never_over_a_file(
    config: Path, aws: Aws, tmp_path: Path
) -> None:
    aws.me()
    aws.no_devices()
    aws.created()
    aws.enabled("111111", "222222")
    aws.assumed("333333")
    picture = tmp_path / "qr.png"
    prompter = Prompter("111111", "222222", "333333", terminal=False)
    assert run(config, prompter, aws, picture=picture).picture == picture
    aws.done()
    assert stat.S_IMODE(picture.stat().st_mode) == 0o600
    expected = io.BytesIO()
    segno.make(prompter.shown[0].uri, error="m").save(expected, kind="png", scale=8)
    assert picture.read_bytes() == expected.getvalue()
    with pytest.raises(UsageError, match=r"qr\.png exists already"):
        run(config, Prompter(), aws, picture=picture)


def test_a_picture_in_a_missing_folder_is_refused_before_anything_is_created(
    config: Path, aws: Aws, tmp_path: Path
) -> None:
    with pytest.raises(UsageError, match="no such folder"):
        run(config, Prompter(terminal=False), aws, picture=tmp_path / "missing" / "qr.png")
    aws.done()


def test_a_file_that_takes_the_pictures_name_meanwhile_is_kept(
    config: Path, aws: Aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws.me()
    aws.no_devices()
    aws.created()
    aws.deleted()
    picture = tmp_path / "qr.png"
    make = segno.make

    def appearing(*args: Any, **kwargs: Any) -> Any:
        picture.write_text("someone else's")
        return make(*args, **kwargs)

    monkeypatch.setattr(segno, "make", appearing)
    with pytest.raises(UsageError, match="cannot write the QR code: File exists"):
        run(config, Prompter(terminal=False), aws, picture=picture)
    aws.done()
    assert picture.read_text() == "someone else's"


def test_without_a_terminal_or_a_picture_nothing_happens(config: Path, aws: Aws) -> None:
    with pytest.raises(UsageError) as refused:
        run(config, Prompter(terminal=False), aws)
    aws.done()
    assert refused.value.hint == (
        "run it in a terminal, or pass --qr-png FILE to get the QR code as a picture"
    )


# --- which profile: find_target ---

BLOCK = {
    "acme": {"mfa_serial": SERIAL, "region": "eu-west-1"},
    "acme-dev-admin": {
        "role_arn": ROLE,
        "source_profile": "acme",
        "mfa_serial": SERIAL,
        "role_session_name": "alice",
    },
}


def test_the_default_is_the_source_profile_of_the_installed_block() -> None:
    target = awsconfig.find_target(BLOCK, ["acme"], None, Path("c"))
    assert target == awsconfig.Target("acme", SERIAL, "acme", "acme-dev-admin", ROLE, "alice")


def test_a_role_profile_named_is_its_own_proof() -> None:
    target = awsconfig.find_target(BLOCK, ["acme"], "acme-dev-admin", Path("c"))
    assert target == awsconfig.Target(
        "acme-dev-admin", SERIAL, "acme", "acme-dev-admin", ROLE, "alice"
    )


@pytest.mark.parametrize(
    ("profiles", "installed", "profile", "message", "hint"),
    [
        (BLOCK, [], None, "c: no mfagen block",
         "install the profile file your team handed out: mfagen install-profile FILE"),
        (BLOCK, ["acme", "other"], None,
         "c: 2 mfagen blocks (acme, other): which profile to enrol?", "pass --profile NAME"),
        (BLOCK, ["acme"], "nope", "c: no profile 'nope'",
         "see the names: aws configure list-profiles"),
        ({"acme": {"mfa_serial": SERIAL, "role_arn": ROLE}}, ["acme"], None,
         "profile 'acme' has a role_arn but no source_profile",
         "mfagen enrol creates the device with the long-term keys of a source profile"),
        ({"acme": {}}, ["acme"], None, "c: profile 'acme': no mfa_serial",
         "expected mfa_serial = arn:aws:iam::<account>:mfa/<device>, as in the handed-out file"),
        ({"acme": {"mfa_serial": "GAHT12345678"}}, ["acme"], None,
         "c: profile 'acme': mfa_serial 'GAHT12345678' is not a virtual MFA device's ARN",
         "expected mfa_serial = arn:aws:iam::<account>:mfa/<device>, as in the handed-out file"),
    ],
)  # fmt: skip
def test_a_profile_that_cannot_be_enrolled_says_why(
    profiles: dict[str, dict[str, str]], installed: list[str], profile: str | None,
    message: str, hint: str,
) -> None:  # fmt: skip
    with pytest.raises(UsageError) as refused:
        awsconfig.find_target(profiles, installed, profile, Path("c"))
    assert (refused.value.message, refused.value.hint) == (message, hint)


# --- the terminal ---


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_terminal_reads_one_code_a_line_and_stops_at_the_end() -> None:
    err = io.StringIO()
    terminal = prompts.Terminal(io.StringIO(" 123456 \n"), io.StringIO(), err)
    assert terminal.code("code: ") == "123456"
    with pytest.raises(EnrolError, match="standard input ended before an MFA code was given"):
        terminal.code("code: ")
    assert err.getvalue() == "code: \ncode: \n"


def test_the_terminal_shows_the_secret_only_on_a_terminal() -> None:
    setup = enrol.Setup(SERIAL, "alice", "ABCDEFGHIJ", "otpauth://x", "QR\n")
    out = Tty()
    prompts.Terminal(io.StringIO(), out, io.StringIO()).show(setup)
    assert out.getvalue() == (
        "QR\nScan this QR code with your authenticator app "
        f"({SERIAL}).\nOr type this secret into the app: ABCD EFGH IJ\n"
    )
    piped = io.StringIO()
    terminal = prompts.Terminal(io.StringIO(), piped, io.StringIO())
    assert not terminal.shows_secrets
    terminal.show(enrol.Setup(SERIAL, "alice", "ABCDEFGHIJ", "otpauth://x", "QR\n", Path("q.png")))
    assert piped.getvalue() == "The QR code is in q.png: scan it with your app.\n"


# --- the command line, with real botocore sessions ---


def test_cli_enrol_without_keys_says_how_to_add_them(config: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["enrol", "--aws-config", str(config), "--qr-png", str(tmp_path / "q.png")]
    )
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "mfagen: error: no credentials for profile 'acme'\n"
        "  hint: add your long-term access keys: aws configure --profile acme\n"
    )


def test_cli_enrol_without_network_says_so_in_one_line(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials = tmp_path / "credentials"
    credentials.write_text("[acme]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = x\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # discard: nothing listens
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    result = runner.invoke(
        app, ["enrol", "--aws-config", str(config), "--qr-png", str(tmp_path / "q.png")]
    )
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "mfagen: error: GetCallerIdentity failed: Could not connect to the endpoint URL: "
        '"http://127.0.0.1:9/"\n'
        "  hint: check your network connection, proxy and the profile's region\n"
    )


def test_cli_enrol_reads_codes_from_stdin_and_never_prints_the_secret(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stubbed = Aws()
    stubbed.me()
    stubbed.no_devices()
    stubbed.created()
    stubbed.enabled("111111", "222222")
    stubbed.assumed("333333")
    monkeypatch.setattr(awsconfig, "session_clients", lambda *_: stubbed)
    picture = tmp_path / "q.png"
    with stubbed:
        result = runner.invoke(
            app,
            ["enrol", "--aws-config", str(config), "--qr-png", str(picture)],
            input="111111\n222222\n333333\n",
        )
    assert result.exit_code == 0, result.output
    stubbed.done()
    assert result.stdout == (
        f"The QR code is in {picture}: scan it with your app.\n"
        f"{SERIAL}: enrolled for alice\n"
        f"proved with --profile acme-dev-admin: you are now {ASSUMED}\n"
        f"{picture}: delete it now, it holds your device's secret\n"
        "now ask your admin to close your enrolment window (`enrolment: open`)\n"
    )
    assert SEED.decode() not in result.output
    assert "MFA code 1 (the code your app shows now): " in result.stderr
