"""What each command does, as plain functions that return values and never print or exit.

`mfagen audit` calls mfagen.audit.audit_folder itself: it needs none of what this module
imports (see cli.py).
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mfagen import block, config, forked, install, lockout, plan, render, starter, writer
from mfagen.audit import AuditReport, audit_files
from mfagen.audit import Options as AuditOptions
from mfagen.audit.errors import AuditRefusedError
from mfagen.checks import did_you_mean
from mfagen.errors import (
    AwsError,
    ConfigError,
    LockoutError,
    OutputError,
    Problem,
    UsageError,
)

if TYPE_CHECKING:  # adopt and enrol import boto3 and botocore, from the `aws` extra
    from mfagen.adopt import Adoption
    from mfagen.enrol import Enrolment, Prompter


PARALLEL_USERS = 500
"""From this many users on, `render --check` shares its work with a child process."""


@dataclass(frozen=True)
class Validated:
    loaded: config.Loaded
    plan: plan.Plan

    @property
    def warnings(self) -> tuple[Problem, ...]:
        if lockout.admin_paths(self.plan):
            return self.loaded.warnings
        identity = self.plan.identity.alias
        return (
            *self.loaded.warnings,
            self.loaded.document.problem(
                ("tiers",),
                f"no user can reach an admin role in the identity account {identity!r}",
                "keep a backup admin: a tier with preset: admin deployed in the identity "
                "account and at least one member, or IAM mistakes need the root user to repair",
                of_key=True,
            ),
        )

    @property
    def notices(self) -> tuple[Problem, ...]:
        """One per user whose enrolment window is open: each pull request shows them."""
        return tuple(
            self.loaded.document.problem(
                ("users", name, "enrolment"),
                f"enrolment window open: {name} may enrol an MFA device with long-term keys alone",
                f"remove enrolment: open once {name} has enrolled",
            )
            for name in self.plan.self_service.enrolment_open
        )


@dataclass(frozen=True)
class Rendered:
    validated: Validated
    changes: tuple[writer.Change, ...]
    """With --check: what differs. Otherwise: what was written or removed."""
    checked: bool
    adoption: Adoption | None = None
    """With --adopt: what exists already (imported by Terraform) and what to clean up."""


def validate(config_path: Path) -> Validated:
    """Load, check and plan `config_path`; raise ConfigError listing every problem."""
    loaded = config.load(config_path)
    try:
        built = plan.build(loaded.config)
    except plan.PlanError as exc:
        document = loaded.document
        raise ConfigError(
            [document.problem(f.loc, f.message, f.hint, of_key=f.of_key) for f in exc.findings]
        ) from None
    return Validated(loaded, built)


def render_files(
    config_path: Path, blueprints: Path | None = None
) -> tuple[Validated, dict[str, bytes]]:
    """Every output file, the manifest included, rendered in memory."""
    validated = validate(config_path)
    return validated, _files(validated.plan, blueprints)


def _files(
    built: plan.Plan, blueprints: Path | None, adoption: Adoption | None = None
) -> dict[str, bytes]:
    files = render.render(built, blueprints, adoption)
    return writer.with_manifest(files, lockout.admin_paths(built))


def find_existing(built: plan.Plan) -> Adoption:
    """What of `built` exists in AWS already (read-only look-ups, the caller's credentials)."""
    try:
        from mfagen import adopt  # noqa: PLC0415 - boto3 is optional, only --adopt needs it
    except ModuleNotFoundError as error:
        raise AwsError(
            f"--adopt needs boto3, which is not installed ({error})",
            "pip install 'mfagen[aws]'",
        ) from None
    return adopt.find(built, adopt.session_clients())


def _differences(
    out: Path, built: plan.Plan, blueprints: Path | None, adoption: Adoption | None
) -> tuple[writer.Change, ...]:
    """What rendering into `out` would change (`render --check`).

    From PARALLEL_USERS users on, a child process lays out, renders and compares the first
    half of the profile files (most of the work) while this process does the rest.
    """
    env = render.environment(blueprints)
    users = built.profile_users
    theirs = users[: len(users) // 2] if len(users) >= PARALLEL_USERS else ()

    def compare_theirs() -> list[writer.Change]:
        return writer.changed(out, render.profiles(built, env, theirs))

    with forked.Forked(compare_theirs) if theirs else contextlib.nullcontext() as other:
        mine = render.profiles(built, env, users[len(theirs) :])
        files = {**render.terraform(built, env, adoption), **mine}
        elsewhere = [render.profile_path(user) for user in theirs]
        files = writer.with_manifest(files, lockout.admin_paths(built), more=elsewhere)
        found = writer.diff(out, files, elsewhere=elsewhere)
        if other is not None:
            found += other.result()
    return tuple(sorted(found, key=lambda change: change.path))


def render_to(
    config_path: Path,
    out: Path,
    *,
    check: bool = False,
    blueprints: Path | None = None,
    allow_lockout: bool = False,
    no_audit: bool = False,
    adopt: bool = False,
) -> Rendered:
    """Render into `out`, or with `check` only compare; the result lists the differences.

    Before writing, the audit proves the security invariants on the rendered files and a
    violation refuses the write (AuditRefusedError), unless `no_audit`. With `adopt`, what
    exists in AWS already gets Terraform import blocks (see mfagen.adopt).
    """
    validated = validate(config_path)
    built = validated.plan
    adoption = find_existing(built) if adopt else None
    if check:
        differences = _differences(out, built, blueprints, adoption)
        return Rendered(validated, differences, checked=True, adoption=adoption)
    env = render.environment(blueprints)
    terraform = render.terraform(built, env, adoption)
    expect = AuditOptions(enforce_mfa=validated.loaded.config.defaults.enforce_mfa)
    profiles: forked.Feed[dict[str, bytes]] | None = None if no_audit else forked.Feed()
    refusing: forked.Flag | None = None if no_audit else forked.Flag()

    def failed_audit(feed: forked.Feed[dict[str, bytes]], flag: forked.Flag) -> AuditReport | None:
        """The audit's report when it refuses (only then does it cross from the child)."""
        report = audit_files(terraform, str(out), expect, later=feed.take, refusing=flag.set)
        return None if report.ok else report

    def refuse_unless_audited() -> None:
        report = audit.result() if audit is not None else None
        if report is not None:
            raise AuditRefusedError(str(out), report)

    # The audit runs in a child process (forked.py) from the moment the Terraform files are
    # rendered: it reads the module while this process renders the profile files, takes them
    # through the feed, and checks them while this one stages every file. The files become
    # visible only once it passed. Its refusal comes before any other error, as when it ran
    # before writing. When the module alone already fails the audit, it says so (`refusing`)
    # and nothing is staged while it finishes its report.
    with (
        contextlib.nullcontext()
        if profiles is None or refusing is None
        else forked.Forked(
            functools.partial(failed_audit, profiles, refusing), profiles, refusing
        ) as audit
    ):
        profile_files = render.profiles(built, env)
        if profiles is not None:
            profiles.give(profile_files)
        files = writer.with_manifest({**terraform, **profile_files}, lockout.admin_paths(built))
        try:
            before = writer.read_admin_paths(out)
            if before and not lockout.admin_paths(built) and not allow_lockout:
                raise LockoutError(str(out), before)
            stop = None if refusing is None else refusing.is_set
            written = writer.write(out, files, gate=refuse_unless_audited, stop=stop)
        except (LockoutError, OutputError):
            refuse_unless_audited()
            raise
    return Rendered(validated, written.changes, checked=False, adoption=adoption)


def profile(config_path: Path, user: str, blueprints: Path | None = None) -> str:
    """One user's AWS CLI profile block."""
    return render.render_profile(_profile_file(config_path, user), blueprints)


def install_profile(
    what: str,
    config_path: Path | None = None,
    *,
    aws_config: Path | None = None,
    dry_run: bool = False,
    blueprints: Path | None = None,
) -> install.Installation:
    """Merge a block into the user's AWS config file (see install.py).

    `what` is a handed-out profile file when it names an existing file (or a path: user
    names hold no '/') and no `config_path` is given; otherwise a user of `config_path`
    (default accounts.yaml), whose block is rendered here.
    """
    target = install.config_path(aws_config)
    candidate = Path(what)
    if config_path is None and (candidate.is_file() or "/" in what or os.sep in what):
        if blueprints is not None:
            raise UsageError(
                "--blueprints applies to USER [CONFIG] only",
                "a handed-out profile file is installed as it is",
            )
        handed_out = block.read_file(candidate)
        names = list(handed_out.profiles)
        return install.install(
            target, handed_out.text, handed_out.organization, names, dry_run=dry_run
        )
    if config_path is None:
        config_path = Path("accounts.yaml")
        if not config_path.exists():
            raise UsageError(
                f"no file {what!r} and no {config_path} here",
                "on your machine, name the profile file your team handed out: "
                "mfagen install-profile path/to/config; with the team's accounts.yaml: "
                "mfagen install-profile USER [CONFIG]",
            )
    file = _profile_file(config_path, user=what)
    rendered = render.render_profile(file, blueprints)
    names = [p.name for p in file.profiles]
    return install.install(target, rendered, file.organization, names, dry_run=dry_run)


def enrol(
    prompter: Prompter,
    *,
    profile: str | None = None,
    aws_config: Path | None = None,
    qr_png: Path | None = None,
) -> Enrolment:
    """Create, show and enable the MFA device of the user's profile, then prove it works."""
    try:
        from mfagen import enrol as enrolling  # noqa: PLC0415 - botocore: the `aws` extra
    except ModuleNotFoundError as error:
        raise AwsError(
            f"mfagen enrol needs botocore and segno, which are not installed ({error})",
            "pip install 'mfagen[aws]'",
        ) from None
    return enrolling.enrol(install.config_path(aws_config), profile, qr_png, prompter)


def init(path: Path, identity_id: str, *, force: bool = False) -> list[Path]:
    """Write the commented starter accounts.yaml, its schema and a .gitignore (tests prove
    the starter validates and renders); return the files written."""
    if not re.fullmatch(r"\d{12}", identity_id):
        raise UsageError(
            f"--identity-id {identity_id!r} is not a 12-digit account id", "e.g. 111111111111"
        )
    return starter.init(path, identity_id, force=force)


def _profile_file(config_path: Path, user: str) -> plan.ProfileFile:
    validated = validate(config_path)
    file = validated.plan.profile_of(user)
    if file is None:
        raise UsageError(
            f"no user {user!r} in {config_path}", did_you_mean(user, validated.loaded.config.users)
        )
    return file
