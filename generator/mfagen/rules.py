"""Rules that relate the values of a configuration to each other and to IAM's limits.

Each finding names the place it is about (`loc`) and every other value it is drawn from
(`rests_on`): a default in place of a value, another entry's name or id. A finding is only as
true as those values, so where one of them is not the file's own (a value its model refused,
or a key written twice) the finding is dropped rather than made from a stand-in (`sparing`).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field

from mfagen import iam, naming, regions
from mfagen.errors import Problem
from mfagen.loader import Document, Loc
from mfagen.models import PRESETS, Config, Statement
from mfagen.policies import NO_MFA_ALLOWED_ACTIONS, OWN_USER_ACTIONS
from mfagen.wording import closest, did_you_mean

SELF_SERVICE_ACTIONS = frozenset({*NO_MFA_ALLOWED_ACTIONS, *OWN_USER_ACTIONS, iam.ASSUME_ROLE})
MAX_MANAGED_POLICIES = min(iam.MANAGED_POLICIES_PER_ROLE, iam.MANAGED_POLICIES_PER_GROUP)
"""A tier's managed policies go on its role and, with console, on its group too."""
_CONDITION_OPERATOR = re.compile(r"(?:(?:ForAnyValue|ForAllValues):)?[A-Za-z]+")


@dataclass(frozen=True)
class Finding:
    """A problem at a dotted location of the configuration; `problem_in` places it."""

    loc: Loc
    message: str
    hint: str = ""
    of_key: bool = False
    rests_on: tuple[Loc, ...] = ()
    """The other places whose values the finding is drawn from (a value at `loc` or below it
    need not be named)."""

    def problem_in(self, document: Document) -> Problem:
        """This finding at its file:line:col in `document`."""
        return document.problem(self.loc, self.message, self.hint, of_key=self.of_key)

    def drawn_from(self, places: Collection[Loc]) -> bool:
        """Whether one of `places` is at, inside or around `loc` or a place it rests on: a
        tier whose preset is one of them "grants nothing" for want of it."""
        return any(
            mine[: len(place)] == place or place[: len(mine)] == mine
            for mine in (self.loc, *self.rests_on)
            for place in places
        )


@dataclass
class Findings:
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)

    def sparing(self, places: Collection[Loc]) -> Findings:
        """These findings but those drawn from `places`: values that are not the file's own."""
        if not places:
            return self
        return Findings(
            [f for f in self.errors if not f.drawn_from(places)],
            [f for f in self.warnings if not f.drawn_from(places)],
        )


def run(config: Config) -> Findings:
    findings = Findings()
    for check in (
        _identity,
        _accounts,
        _tiers,
        _users,
        _naming,
        _profile_names,
        _terraform,
        _regions,
    ):
        findings.errors.extend(check(config))
    findings.warnings.extend(_warnings(config))
    return findings


def _terraform(config: Config) -> Iterator[Finding]:
    """Per-account modules need a state of their own each: {account} in the backend settings."""
    backend = config.terraform.backend
    if backend is None:
        return
    uses = [key for key, value in backend.config.items() if "{account}" in str(value)]
    loc: Loc = ("terraform", "backend", "config")
    layout: Loc = ("terraform", "layout")
    if config.terraform.layout == "per-account" and len(config.accounts) > 1 and not uses:
        yield Finding(
            loc,
            "with layout per-account every module needs its own state, but no backend "
            "setting contains {account}",
            "e.g. key: mfagen/{account}.tfstate",
            rests_on=(layout,),
        )
    if config.terraform.layout == "single":
        for key in uses:
            yield Finding(
                (*loc, key),
                "{account} only has a meaning with layout: per-account",
                "name the state file without it, e.g. key: mfagen/terraform.tfstate",
                rests_on=(layout,),
            )


def _identity(config: Config) -> Iterator[Finding]:
    if config.identity_account is None:
        if len(config.accounts) > 1:
            yield Finding(
                ("identity_account",),
                "several accounts but no identity_account",
                "name the account that holds the IAM users: identity_account: <account>",
            )
    elif config.identity_account not in config.accounts:
        yield Finding(
            ("identity_account",),
            f"unknown account {config.identity_account!r}",
            did_you_mean(config.identity_account, config.accounts),
            rests_on=(("accounts", config.identity_account),),
        )


def _accounts(config: Config) -> Iterator[Finding]:
    seen: dict[str, str] = {}
    for name, account in config.accounts.items():
        if account.id in seen:
            yield Finding(
                ("accounts", name, "id"),
                f"account id {account.id} is also the id of account {seen[account.id]!r}",
                "each account appears once; remove or correct one of them",
                rests_on=(("accounts", seen[account.id], "id"),),
            )
        seen.setdefault(account.id, name)
        if account.region is None and config.defaults.region is None:
            yield Finding(
                ("accounts", name),
                "no region for this account",
                "set defaults.region, or region: on this account",
                rests_on=(("defaults", "region"),),
            )
        if account.terraform_role and f":{account.id}:" not in account.terraform_role:
            yield Finding(
                ("accounts", name, "terraform_role"),
                f"terraform_role is not a role in account {account.id}",
                f"Terraform assumes it to act in this account: arn:aws:iam::{account.id}:role/...",
                rests_on=(("accounts", name, "id"),),
            )
        yield from _machine_users(config, name, account.machine_users)


def _machine_users(config: Config, account: str, machines: list[str]) -> Iterator[Finding]:
    """A machine user is kept outside mfagen: not one of its users, and listed once."""
    identity = account == naming.identity_name(config)
    for index, machine in enumerate(machines):
        loc: Loc = ("accounts", account, "machine_users", index)
        if identity and machine in config.users:
            yield Finding(
                loc,
                f"{machine!r} is a user mfagen manages (users.{machine})",
                "a machine user is one kept outside mfagen: remove it here or from users",
                rests_on=(("users", machine),),
            )
        elif machines.index(machine) != index:
            yield Finding(loc, f"machine user {machine!r} is listed twice", "list it once")


def _tiers(config: Config) -> Iterator[Finding]:
    for name, tier in config.tiers.items():
        loc: Loc = ("tiers", name)
        if not (tier.preset or tier.managed_policies or tier.statements):
            yield Finding(
                loc,
                "this tier grants nothing",
                f"give it a preset ({', '.join(PRESETS)}), managed_policies or statements",
            )
        yield from _references(
            config.accounts, "accounts", tier.accounts or [], (*loc, "accounts"), "account"
        )
        if tier.accounts == []:
            yield Finding(
                (*loc, "accounts"),
                "empty account list",
                "remove 'accounts' to deploy the tier in every account",
            )
        policies = ([PRESETS[tier.preset]] if tier.preset else []) + tier.managed_policies
        for index, arn in enumerate(tier.managed_policies):
            if tier.preset and arn == PRESETS[tier.preset]:
                yield Finding(
                    (*loc, "managed_policies", index),
                    f"{arn} is already granted by preset: {tier.preset}",
                    "remove it from managed_policies",
                    rests_on=((*loc, "preset"),),
                )
            elif tier.managed_policies.index(arn) != index:
                yield Finding(
                    (*loc, "managed_policies", index),
                    f"{arn} is listed twice",
                    "list each managed policy once",
                )
        limit = MAX_MANAGED_POLICIES - (1 if tier.console else 0)
        if len(set(policies)) > limit:
            yield Finding(
                (*loc, "managed_policies"),
                f"{len(set(policies))} managed policies; IAM attaches at most {limit} here",
                "IAM allows 10 managed policies per role and group (the console group also "
                "carries the self-service policy); merge some into statements",
                rests_on=((*loc, "preset"), (*loc, "console")),
            )
        if tier.console and not config.defaults.enforce_mfa:
            yield Finding(
                (*loc, "console"),
                "console: true needs defaults.enforce_mfa: true",
                "the group's policies would otherwise work without MFA",
                rests_on=(("defaults", "enforce_mfa"),),
            )
        if tier.console:
            yield from _console_denies(tier.statements, loc)
        sids: set[str] = set()
        for index, statement in enumerate(tier.statements):
            yield from _statement(statement, (*loc, "statements", index))
            if statement.sid and statement.sid in sids:
                yield Finding(
                    (*loc, "statements", index, "sid"),
                    f"duplicate sid {statement.sid!r}",
                    "sids must be unique within a tier",
                )
            sids.add(statement.sid or "")


def _console_denies(statements: list[Statement], loc: Loc) -> Iterator[Finding]:
    """A console tier's statements also bind its group: a Deny must spare MFA self-service."""
    for index, statement in enumerate(statements):
        if statement.effect != "Deny":
            continue
        blocked = sorted(
            action
            for action in SELF_SERVICE_ACTIONS
            if _names(statement.actions, action) or _spares(statement.not_actions, action)
        )
        if blocked:
            shown = ", ".join(blocked[:3]) + (", ..." if len(blocked) > 3 else "")
            yield Finding(
                (*loc, "statements", index),
                "with console: true this Deny also applies to the group's users and blocks "
                f"their MFA self-service ({shown})",
                "exclude those actions from the Deny, or drop console: true",
                rests_on=((*loc, "console"),),
            )


def _names(patterns: list[str] | None, action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in patterns or [])


def _spares(not_actions: list[str] | None, action: str) -> bool:
    """A NotAction list reaches every action it does not name."""
    return not_actions is not None and not _names(not_actions, action)


def _statement(statement: Statement, loc: Loc) -> Iterator[Finding]:
    pairs = (("actions", "not_actions"), ("resources", "not_resources"))
    for first, second in pairs:
        given = [key for key in (first, second) if getattr(statement, key) is not None]
        if len(given) != 1:
            yield Finding(
                loc,
                f"a statement needs exactly one of {first} or {second}",
                f'e.g. {first}: ["..."]' if not given else f"remove {second}",
            )
    for operator in statement.conditions or {}:
        if not _CONDITION_OPERATOR.fullmatch(operator):
            yield Finding(
                (*loc, "conditions", operator),
                f"{operator!r} is not a condition operator",
                "e.g. StringEquals, ArnLike, Bool, ForAnyValue:StringLike",
                of_key=True,
            )


def _users(config: Config) -> Iterator[Finding]:
    lowered: dict[str, str] = {}
    devices: dict[str, tuple[str, str, str]] = {}
    """Lowercased MFA device name -> (its owner; described for a message; the name as written)."""
    for name, user in config.users.items():
        loc: Loc = ("users", name)
        if set(name) == {"."}:
            yield Finding(
                loc,
                f"{name!r} is not a usable user name",
                "it names the user's folder under profiles/: choose a real name",
                of_key=True,
            )
        if name.lower() in lowered:
            yield Finding(
                loc,
                f"user {name!r} differs from {lowered[name.lower()]!r} only in case",
                "IAM user names are unique ignoring case",
                of_key=True,
            )
            continue
        lowered[name.lower()] = name
        device = (user.mfa_device or name).lower()
        if device in devices:
            default = "" if user.mfa_device else " (by default, the user's name)"
            other, owner, written = devices[device]
            if written != (user.mfa_device or name):
                owner += f" as {written!r} (IAM names ignore case)"
            yield Finding(
                (*loc, "mfa_device") if user.mfa_device else loc,
                f"MFA device name {user.mfa_device or name!r}{default} is already used by {owner}",
                "device names are unique in an account: set mfa_device: to a distinct name",
                of_key=not user.mfa_device,
                rests_on=(("users", other, "mfa_device"),),
            )
        unset = " (a device is named after its user unless mfa_device: is set)"
        owner = f"user {name!r}" + ("" if user.mfa_device else unset)
        devices.setdefault(device, (name, owner, user.mfa_device or name))
        yield from _references(config.tiers, "tiers", user.tiers, (*loc, "tiers"), "tier")
        if len(set(user.tiers)) > iam.GROUPS_PER_USER:
            yield Finding(
                (*loc, "tiers"),
                f"{len(set(user.tiers))} tiers; IAM puts a user in at most "
                f"{iam.GROUPS_PER_USER} groups",
                "merge tiers, or split the user's duties",
            )
        if user.tiers and len(name) < 2:
            yield Finding(
                loc,
                "a user with tiers needs a name of at least 2 characters",
                "the name is the role session name, which AWS wants 2..64 characters long",
                of_key=True,
            )


def _references(
    known: Iterable[str], section: str, names: list[str], loc: Loc, what: str
) -> Iterator[Finding]:
    """Each name must be one of `known`, the entries of the top-level `section` (`accounts`
    or `tiers`), each called a `what` in messages."""
    known = list(known)
    for index, name in enumerate(names):
        if name not in known:
            yield Finding(
                (*loc, index),
                f"unknown {what} {name!r}",
                did_you_mean(name, known),
                rests_on=((section, name),),
            )
        elif names.index(name) != index:
            yield Finding((*loc, index), f"{what} {name!r} is listed twice", "list it once")


def _naming(config: Config) -> Iterator[Finding]:
    patterns = {"role": config.naming.role, "group": config.naming.group}
    for key, pattern in patterns.items():
        try:
            used = naming.placeholders(pattern)
        except ValueError:
            used = {"?"}
        if not used or not used <= naming.PLACEHOLDERS:
            yield Finding(
                ("naming", key),
                f"naming pattern {pattern!r} must use {{tier}} or {{Tier}} and nothing else",
                "e.g. '{Tier}MFARole' gives AdminMFARole",
            )
            return
    roles: dict[str, tuple[str, Loc]] = {}
    groups: dict[str, tuple[str, Loc]] = {
        config.naming.self_service_group.lower(): (
            "the self-service group (naming.self_service_group)",
            ("naming", "self_service_group"),
        ),
    }
    fixed = (
        ("policy", config.naming.policy),
        ("self_service_group", config.naming.self_service_group),
    )
    for key, name in fixed:
        yield from _iam_name(name, iam.MAX_POLICY_NAME, ("naming", key), "name", "shorten it")
    for tier in config.tiers:
        for name, limit, taken, what in (
            (naming.role_name(config, tier), iam.MAX_ROLE_NAME, roles, "role"),
            (naming.group_name(config, tier), iam.MAX_GROUP_NAME, groups, "group"),
        ):
            made_by: Loc = ("naming", what)
            shorten = f"shorten the tier name or naming.{what}"
            yield from _iam_name(
                name, limit, ("tiers", tier), f"{what} name", shorten, of_key=True, made_by=made_by
            )
            if name.lower() in taken:
                owner, source = taken[name.lower()]
                yield Finding(
                    ("tiers", tier),
                    f"{what} name {name!r} is already taken by {owner}",
                    "IAM names are unique ignoring case; rename a tier or set naming:",
                    of_key=True,
                    rests_on=(made_by, source),
                )
                break  # the other name is most likely taken too: say it once
            taken.setdefault(name.lower(), (f"the {what} of tier {tier!r}", made_by))


def _iam_name(
    name: str,
    limit: int,
    loc: Loc,
    what: str,
    shorten: str,
    *,
    of_key: bool = False,
    made_by: Loc | None = None,
) -> Iterator[Finding]:
    """`name` (at `loc`; filled into the pattern at `made_by`) fits IAM's limit and pattern."""
    sources = (made_by,) if made_by else ()
    if len(name) > limit:
        yield Finding(
            loc,
            f"{what} {name!r} is {len(name)} characters long; IAM allows {limit}",
            shorten,
            of_key=of_key,
            rests_on=sources,
        )
    elif not iam.NAME.fullmatch(name):
        yield Finding(
            loc,
            f"{what} {name!r} is not a valid IAM name",
            f"use {iam.NAME_CHARACTERS}",
            of_key=of_key,
            rests_on=sources,
        )


def _profile_names(config: Config) -> Iterator[Finding]:
    seen: dict[str, tuple[str, str]] = {}
    for tier in config.tiers:
        for account in naming.tier_accounts(config, tier):
            profile = naming.profile_name(config, account, tier)
            if profile in seen:
                other = seen[profile]
                yield Finding(
                    ("tiers", tier),
                    f"profile name {profile!r} is also made by account {other[0]!r} and tier "
                    f"{other[1]!r}",
                    "rename the tier or the account so '<organization>-<account>-<tier>' differ",
                    of_key=True,
                    rests_on=(("organization",), ("tiers", other[1], "accounts")),
                )
            seen.setdefault(profile, (account, tier))


S3_BACKEND_REGIONS = ("region", "sts_region")
"""The settings of Terraform's s3 backend that name an AWS region."""


def _regions(config: Config) -> Iterator[Finding]:
    """Every region written is one AWS has: mfagen's list, or one named in new_regions; and
    one of the aws partition, whose ARNs mfagen writes."""
    places: list[tuple[Loc, object, tuple[Loc, ...]]] = [
        (("defaults", "region"), config.defaults.region, ()),
        *((("accounts", n, "region"), a.region, ()) for n, a in config.accounts.items()),
        *((("users", n, "region"), u.region, ()) for n, u in config.users.items()),
        *((("new_regions", i), region, ()) for i, region in enumerate(config.new_regions)),
    ]
    backend = config.terraform.backend
    if backend is not None and backend.type == "s3":
        setting: Loc = ("terraform", "backend", "config")
        places += [
            ((*setting, key), backend.config.get(key), (("terraform", "backend", "type"),))
            for key in S3_BACKEND_REGIONS
        ]
    known = regions.KNOWN | set(config.new_regions)
    for loc, region, rests_on in places:
        if isinstance(region, str) and region in regions.OTHER_PARTITIONS:
            yield Finding(
                loc,
                f"{region!r} is a region of the {regions.OTHER_PARTITIONS[region]} partition",
                "mfagen writes arn:aws: ARNs, for the regions of the aws partition only",
            )
        elif region is not None and region not in known:
            close = closest(region, regions.KNOWN, cutoff=0.8)
            yield Finding(
                loc,
                f"unknown region {region!r}",
                f"did you mean {close!r}? A region newer than mfagen's list "
                f"({regions.SOURCE}) goes under new_regions"
                if close
                else f"mfagen knows the regions of {regions.SOURCE}; a newer region goes "
                "under new_regions",
                rests_on=(("new_regions",), *rests_on),
            )


def _warnings(config: Config) -> Iterator[Finding]:
    for index, region in enumerate(config.new_regions):
        if region in regions.KNOWN:
            yield Finding(
                ("new_regions", index),
                f"{region!r} is a known region now",
                f"remove it from new_regions: mfagen's list ({regions.SOURCE}) has it",
            )
    if naming.single_account(config):
        return
    ambient = [name for name, account in config.accounts.items() if not account.terraform_role]
    identity = naming.identity_name(config)
    for name in ambient:
        if name != identity and len(ambient) > 1:
            others = [a for a in ambient if a != name]
            yield Finding(
                ("accounts", name),
                "no terraform_role: Terraform would reach this account with the same "
                f"credentials as {', '.join(repr(a) for a in others)}",
                "one apply cannot act in two accounts with one set of credentials; set "
                "terraform_role (e.g. OrganizationAccountAccessRole)",
                of_key=True,
                rests_on=(
                    ("identity_account",),
                    *(("accounts", other, "terraform_role") for other in others),
                ),
            )
