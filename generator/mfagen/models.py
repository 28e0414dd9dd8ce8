"""The accounts.yaml format (version 1) as strict, frozen pydantic models.

These models check each value on its own: types, patterns, ranges. Rules that relate values
to each other (references, uniqueness, quotas) live in `rules.py`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainValidator,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from mfagen import iam
from mfagen.loader import type_name
from mfagen.wording import duration

PRESETS: dict[str, str] = {
    "admin": "arn:aws:iam::aws:policy/AdministratorAccess",
    "poweruser": "arn:aws:iam::aws:policy/PowerUserAccess",
    "readonly": "arn:aws:iam::aws:policy/ReadOnlyAccess",
    "s3": "arn:aws:iam::aws:policy/AmazonS3FullAccess",
}
"""The tier presets, the one list of them: short name -> the AWS managed policy it grants."""

if TYPE_CHECKING:
    Preset = str
else:
    Preset = Literal[tuple(PRESETS)]

MIN_MFA_AGE, MAX_MFA_AGE = 60, 129600

_NAME = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")
_ORGANIZATION = re.compile(r"[a-z0-9][a-z0-9-]*")
_ACCOUNT_ID = re.compile(r"[0-9]{12}")
_REGION = re.compile(r"[a-z]{2,4}(?:-[a-z]+)+-[0-9]{1,2}")
"""The shape of a region code in every partition (us-gov-west-1, eusc-de-east-1); whether AWS
has the region is rules.py's question."""
_ROLE_ARN = re.compile(
    rf"arn:aws[a-z-]*:iam::[0-9]{{12}}:role/(?:[\x21-\x7e]+/)?{iam.NAME_CHARACTER}{{1,64}}"
)
_POLICY_ARN = re.compile(
    rf"arn:aws[a-z-]*:iam::(?:aws|[0-9]{{12}}):policy/(?:[\x21-\x7e]+/)?{iam.NAME_CHARACTER}+"
)
_ACTION = re.compile(r"\*|[a-z0-9-]+:[A-Za-z0-9*?]+")
_SID = re.compile(r"[A-Za-z0-9]+")
_DURATION = re.compile(r"(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?")
_DESCRIPTION_CHAR = re.compile(r"[\t\n\r\x20-\x7e\xa1-\xff]")


def _fail(message: str, hint: str = "") -> PydanticCustomError:
    return PydanticCustomError("mfagen", message, {"hint": hint})


class _Matching:
    """Annotation: the string must match `pattern` (and `max_len`); the JSON Schema says so."""

    def __init__(self, pattern: re.Pattern[str], what: str, hint: str, max_len: int) -> None:
        self.pattern, self.what, self.hint, self.max_len = pattern, what, hint, max_len

    def check(self, value: str) -> str:
        if self.max_len and len(value) > self.max_len:
            raise _fail(
                f"{self.what} is {len(value)} characters long, the limit is {self.max_len}",
                f"shorten it to {self.max_len} characters or fewer",
            )
        if not self.pattern.fullmatch(value):
            raise _fail(f"{self.what} {value!r} is not valid", self.hint)
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = f"^(?:{self.pattern.pattern})$"
        if self.max_len:
            json_schema["maxLength"] = self.max_len
        return json_schema


def _matching(pattern: re.Pattern[str], what: str, hint: str, max_len: int = 0) -> _Matching:
    return _Matching(pattern, what, hint, max_len)


def _duration(value: Any) -> int:
    """3600, "3600", "1h", "30m", "1h30m", "90s" -> seconds."""
    if isinstance(value, bool):
        raise _fail("expected a duration such as 1h, 30m or 3600 seconds, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit():
            return int(text)
        match = _DURATION.fullmatch(text)
        if text and match:
            hours, minutes, seconds = (int(part or 0) for part in match.groups())
            return hours * 3600 + minutes * 60 + seconds
    raise _fail(
        f"{value!r} is not a duration", "write seconds (3600) or hours and minutes (1h, 90m, 1h30m)"
    )


def _in_range(low: int, high: int, what: str) -> Any:
    def check(seconds: int) -> int:
        if not low <= seconds <= high:
            raise _fail(
                f"{what} must be between {_human(low)} and {_human(high)}, got {_human(seconds)}",
                f"IAM accepts {low}..{high} seconds",
            )
        return seconds

    return AfterValidator(check)


def _human(seconds: int) -> str:
    return duration(seconds)


def _account_id(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        raise PydanticCustomError(
            "unquoted_number",
            "account id must be a quoted 12-digit string; YAML read it as the number {number}",
            {"number": value},
        )
    return value


def _description(value: str) -> str:
    """IAM keeps descriptions to tabs, line breaks and printable Latin-1 characters."""
    bad = next((char for char in value if not _DESCRIPTION_CHAR.fullmatch(char)), None)
    if bad is not None:
        raise _fail(
            f"description contains {bad!r} (U+{ord(bad):04X}), which IAM does not accept",
            "IAM descriptions take printable Latin-1 text: replace it, e.g. '—' with '-'",
        )
    return value


def _condition_values(value: Any) -> str | list[str]:
    """IAM compares condition values as strings; YAML may have read a boolean or a number."""
    items = value if isinstance(value, list) else [value]
    wrong = [item for item in items if not isinstance(item, str)]
    if items and not wrong:
        return value  # type: ignore[no-any-return]
    got = type_name(wrong[0]) if wrong else "an empty list"
    where = " in the list" if wrong and isinstance(value, list) else ""
    raise _fail(
        f"a condition value is a string or a list of strings, got {got}{where}",
        'quote it, e.g. "true" or "3600": IAM compares condition values as strings',
    )


Name = Annotated[
    str,
    _matching(
        _NAME, "name", "use lowercase letters, digits, single '-' or '_'; start with a letter", 40
    ),
]
Organization = Annotated[
    str, _matching(_ORGANIZATION, "organization", "use lowercase letters, digits and '-'", 32)
]
UserName = Annotated[
    str,
    _matching(
        iam.NAME, "user name", f"IAM user names use {iam.NAME_CHARACTERS}", iam.MAX_USER_NAME
    ),
]
DeviceName = Annotated[
    str,
    _matching(
        iam.NAME,
        "MFA device name",
        f"device names use {iam.NAME_CHARACTERS}",
        iam.MAX_MFA_DEVICE_NAME,
    ),
]
AccountId = Annotated[
    str,
    BeforeValidator(_account_id),
    _matching(
        _ACCOUNT_ID, "account id", 'an AWS account id is exactly 12 digits, e.g. "111111111111"'
    ),
]
Region = Annotated[
    str, _matching(_REGION, "region", "write an AWS region code such as eu-west-1 or us-east-1")
]
IamPath = Annotated[
    str,
    _matching(
        iam.PATH, "IAM path", "a path starts and ends with '/', e.g. / or /mfa/", iam.MAX_PATH
    ),
]
RoleArn = Annotated[
    str,
    _matching(
        _ROLE_ARN, "role ARN", "e.g. arn:aws:iam::333333333333:role/OrganizationAccountAccessRole"
    ),
]
PolicyArn = Annotated[
    str,
    _matching(_POLICY_ARN, "managed policy ARN", "e.g. arn:aws:iam::aws:policy/ReadOnlyAccess"),
]
Action = Annotated[
    str, _matching(_ACTION, "action", "write service:Action, wildcards allowed: s3:Get*")
]
Sid = Annotated[str, _matching(_SID, "sid", "a statement id uses letters and digits only", 128)]
Duration = Annotated[
    int,
    BeforeValidator(_duration),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "description": "seconds"},
                {"type": "string", "pattern": "^(?:[0-9]+|(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?)$"},
            ],
            "description": "seconds, or hours/minutes/seconds such as 1h, 90m, 1h30m",
        }
    ),
]
SessionDuration = Annotated[
    Duration, _in_range(iam.MIN_SESSION, iam.MAX_SESSION, "session_duration")
]
MfaMaxAge = Annotated[Duration, _in_range(MIN_MFA_AGE, MAX_MFA_AGE, "mfa_max_age")]
Resource = Annotated[str, Field(min_length=1)]
ConditionValues = Annotated[
    str | list[str], PlainValidator(_condition_values, json_schema_input_type=str | list[str])
]


def _backend_value(value: Any) -> str | int | bool:
    """A backend setting as HCL writes it: one value of pydantic's union, said once."""
    if isinstance(value, str | int | bool):
        return value
    raise _fail(
        f"a backend setting is a string, a whole number or true/false, got {type_name(value)}",
        "write one plain value, as a backend block takes it, e.g. bucket: acme-state",
    )


BackendValue = Annotated[
    str | int | bool, PlainValidator(_backend_value, json_schema_input_type=str | int | bool)
]
ENROLMENT_WINDOWS = ("open", "closed")


def _enrolment(value: Any) -> str:
    """`open` or `closed`; YAML 1.1 reads yes/no/on/off/true/false as booleans, say so."""
    if isinstance(value, str) and value in ENROLMENT_WINDOWS:
        return value
    if isinstance(value, bool):
        got = f"the boolean {str(value).lower()}"
    else:
        got = repr(value) if isinstance(value, str) else type_name(value)
    raise _fail(
        f"enrolment is open or closed, got {got}",
        "write enrolment: open while the user enrols their first MFA device, and remove the "
        "line (closed, the default) once they have",
    )


Enrolment = Annotated[
    str,
    PlainValidator(_enrolment, json_schema_input_type=str),
    WithJsonSchema(
        {
            "enum": list(ENROLMENT_WINDOWS),
            "description": "open: the user may enrol their first MFA device with their "
            "long-term keys alone; closed: enrolling a device needs MFA",
        }
    ),
]
Description = Annotated[str, Field(max_length=1000), AfterValidator(_description)]


class Model(BaseModel):
    """Every mapping of accounts.yaml: unknown keys refused, values frozen once read. Each
    field's docstring is its description in the JSON Schema and the configuration reference."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, use_attribute_docstrings=True
    )


class Defaults(Model):
    """Settings for every account, tier and user that does not set its own."""

    region: Region | None = None
    """Written into every profile; required here or on every account."""
    session_duration: SessionDuration = 3600
    """Each role's MaxSessionDuration, 1h to 12h (seconds, or 30m, 1h30m, 12h)."""
    mfa_max_age: MfaMaxAge | None = None
    """When set, trusts also demand aws:MultiFactorAuthAge below it."""
    path: IamPath = "/"
    """IAM path of the roles, groups and policy mfagen creates (/.../); one only mfagen uses."""
    create_users: bool = True
    """false: the users exist already; mfagen manages their memberships only."""
    enforce_mfa: bool = True
    """Deny long-term keys without MFA everything but MFA self-service."""
    moved_blocks: bool = False
    """Write moved.tf: each user's for_each addresses of mfagen 0.1 moved to its own blocks.
    Turn it on to upgrade a module applied with that layout (render refuses to drop it)."""


class Account(Model):
    """An AWS account: the identity account, or one the tiers' roles live in."""

    id: AccountId
    """The 12-digit account id, quoted (YAML drops leading zeros)."""
    region: Region | None = None
    """The region of this account's profiles and provider (default: defaults.region)."""
    terraform_role: RoleArn | None = None
    """A role Terraform assumes to reach this account (e.g. OrganizationAccountAccessRole)."""
    machine_users: list[UserName] = []
    """IAM users of this account kept on purpose outside mfagen (a CI user): `mfagen audit
    --live` lists what their long-term keys can do instead of failing on it."""


class Statement(Model):
    """One IAM policy statement of a custom tier, in the role's inline policy."""

    sid: Sid | None = None
    """The statement id (default: Statement<n>)."""
    effect: Literal["Allow", "Deny"] = "Allow"
    """Allow or Deny."""
    actions: list[Action] | None = Field(default=None, min_length=1)
    """IAM actions, wildcards allowed (s3:Get*); or not_actions."""
    not_actions: list[Action] | None = Field(default=None, min_length=1)
    """Every action but these."""
    resources: list[Resource] | None = Field(default=None, min_length=1)
    """Resource ARNs, wildcards allowed; or not_resources."""
    not_resources: list[Resource] | None = Field(default=None, min_length=1)
    """Every resource but these."""
    conditions: dict[str, dict[str, ConditionValues]] | None = None
    """IAM conditions: operator -> key -> value or values (strings)."""


class Tier(Model):
    """A set of rights: a role in each of its accounts, assumable with MFA by its members."""

    description: Description | None = None
    """The role's description in IAM."""
    preset: Preset | None = Field(
        None,
        description="An AWS managed policy: "
        + ", ".join(f"{short} ({arn.rsplit('/', 1)[1]})" for short, arn in PRESETS.items())
        + ".",
    )
    managed_policies: list[PolicyArn] = []
    """More managed policy ARNs for the role."""
    statements: list[Statement] = []
    """The role's own statements (its inline policy)."""
    accounts: list[str] | None = None
    """Where its role exists (default: every account, the identity account included)."""
    console: bool = False
    """Also grant the rights to the tier's group, usable only with MFA (console users)."""
    session_duration: SessionDuration | None = None
    """This tier's MaxSessionDuration (default: defaults.session_duration)."""
    mfa_max_age: MfaMaxAge | None = None
    """This tier's maximum MFA age (default: defaults.mfa_max_age)."""


class User(Model):
    """An IAM user of the identity account."""

    tiers: list[str] = []
    """The tiers whose roles the user may assume (none: MFA self-service only)."""
    mfa_device: DeviceName | None = None
    """The name of the user's MFA device in their profiles (default: the user name)."""
    region: Region | None = None
    """The region of every profile of the user (default: each account's)."""
    enrolment: Enrolment = "closed"
    """The enrolment window: open, the user may create and enable an MFA device with their
    long-term keys alone; closed (the default), only with MFA, so keys alone never enrol one."""

    @property
    def enrolment_open(self) -> bool:
        return self.enrolment == "open"


class Naming(Model):
    """Names of what mfagen creates; {tier} is the tier's name, {Tier} in PascalCase."""

    role: str = "{Tier}MFARole"
    """Each tier's role."""
    group: str = "{Tier}MFAGroup"
    """Each tier's group."""
    policy: str = "ManageMFAPolicy"
    """The self-service policy."""
    self_service_group: str = "ManageMFAGroup"
    """The group of users in no tier."""


class Backend(Model):
    """The Terraform state backend of every module."""

    type: Annotated[
        str, _matching(re.compile(r"[a-z][a-z0-9_]*"), "backend type", "e.g. s3, gcs, remote")
    ]
    """The backend type (s3, gcs, remote, ...)."""
    config: dict[str, BackendValue] = {}
    """Arguments of the backend block; with layout per-account, {account} names each module's."""


class Terraform(Model):
    """The shape of the Terraform output."""

    layout: Literal["single", "per-account"] = "single"
    """single: one root module; per-account: one root module per account."""
    backend: Backend | None = None
    """The state backend (default: local state)."""


class Profiles(Model):
    """Extras in the users' profile files."""

    credential_process: bool = False
    """Also write `<profile>-tf` profiles for tools that cannot ask for an MFA code."""


class Config(Model):
    """accounts.yaml, version 1."""

    version: Literal[1]
    """The format's version: 1."""
    organization: Organization
    """Lowercase letters, digits and -; prefixes every profile name."""
    identity_account: str | None = None
    """The account holding the users, groups and self-service policy (optional with one
    account)."""
    defaults: Defaults = Defaults()
    """Settings for everything that does not set its own."""
    new_regions: list[Region] = []
    """Regions AWS opened after mfagen's list (botocore's endpoint data) was made: accepted
    wherever a region is written. Remove one once mfagen knows it (validate warns)."""
    naming: Naming = Naming()
    """Names of the roles, groups and policy (default: the seed's)."""
    terraform: Terraform = Terraform()
    """Layout and state backend of the Terraform output."""
    profiles: Profiles = Profiles()
    """Extras in the profile files."""
    accounts: dict[Name, Account] = Field(min_length=1)
    """The accounts, by a short name (lowercase, used in profile names)."""
    tiers: dict[Name, Tier] = {}
    """The tiers, by name."""
    users: dict[UserName, User] = {}
    """The IAM users, by their IAM user name."""
