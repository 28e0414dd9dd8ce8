"""What each command does, as plain functions that return values and never print or exit.

`mfagen audit` calls mfagen.audit.audit_folder itself: it needs none of what this module
imports (see cli.py).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mfagen import (
    config,
    iam,
    layout,
    lockout,
    plan,
    render,
    starter,
    transaction,
    writer,
)
from mfagen.audit import Options as AuditOptions
from mfagen.audit import audit_files, live
from mfagen.audit.errors import AuditRefusedError
from mfagen.audit.live import LiveOptions
from mfagen.audit.live.report import LiveReport
from mfagen.audit.live.state import Progress
from mfagen.errors import (
    AwsError,
    ConfigError,
    LockoutError,
    Problem,
    UsageError,
)
from mfagen.user import block, install
from mfagen.wording import did_you_mean

if TYPE_CHECKING:  # adopt and enrol import boto3 and botocore, from the `aws` extra
    from mfagen.adopt import Adoption
    from mfagen.user.enrol import Enrolment, Prompter


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
        """One per user whose enrolment window is open: each pull request shows them. Past
        a few, a rollout: one notice says how many and how to close them, then one line each."""
        document = self.loaded.document
        opened = self.plan.self_service.enrolment_open
        if len(opened) <= FEW_WINDOWS:
            return tuple(
                document.problem(
                    ("users", name, "enrolment"),
                    f"enrolment window open: {name} may enrol an MFA device with long-term "
                    "keys alone",
                    f"remove enrolment: open once {name} has enrolled",
                )
                for name in opened
            )
        rollout = document.problem(
            ("users",),
            f"{len(opened)} enrolment windows open (of {len(self.plan.users)} users): each of "
            "these users may enrol an MFA device with long-term keys alone",
            "remove a user's enrolment: open once they have enrolled (`mfagen audit --live` "
            "tells who has), or every one at once when the rollout ends",
            of_key=True,
        )
        each = (
            document.problem(("users", name, "enrolment"), f"enrolment window open: {name}")
            for name in opened
        )
        return (rollout, *each)


FEW_WINDOWS = 10
"""Up to this many open enrolment windows, each gets a notice with its hint."""


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
        problems = [f.problem_in(loaded.document) for f in exc.findings]
        raise ConfigError(problems, loaded.warnings) from None
    return Validated(loaded, built)


def render_files(
    built: plan.Plan, blueprints: Path | None = None, adoption: Adoption | None = None
) -> dict[str, bytes]:
    """Every output file of `built`, the manifest included, rendered in memory: what
    `render_to` compares with the output folder, audits and writes."""
    files = render.render(built, blueprints, adoption)
    return writer.with_manifest(files, lockout.admin_paths(built))


def find_existing(built: plan.Plan) -> Adoption:
    """What of `built` exists in AWS already (read-only look-ups, the caller's credentials)."""
    _need_boto3("--adopt", ", nothing written")
    from mfagen import adopt  # noqa: PLC0415 - boto3 is optional, only --adopt needs it

    return adopt.find(built, adopt.session_clients())


def _need_boto3(command: str, outcome: str = "") -> None:
    """Refuse `command` with what to install when boto3 (the `aws` extra) is missing."""
    try:
        import boto3  # type: ignore[import-untyped]  # noqa: F401, PLC0415 - the `aws` extra
    except ModuleNotFoundError as error:
        raise AwsError(
            f"{command} needs boto3, which is not installed ({error}){outcome}",
            "pip install 'mfagen[aws]'",
        ) from None


def audit_live(
    folder: Path,
    options: LiveOptions | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> LiveReport:
    """`mfagen audit --live`: read IAM in every account of `folder`'s module (read-only, the
    credentials Terraform would use) and judge it against the folder (mfagen.audit.live)."""
    _need_boto3("audit --live")
    role_name = options.role_name if options else None
    if role_name is not None and not _ROLE_NAME.fullmatch(role_name):
        raise UsageError(
            f"--role-name {role_name!r} is not an IAM role name",
            f"a role name of {iam.NAME_CHARACTERS}, after its path if it has one "
            "(audit/SecurityAudit)",
        )
    return live.audit_live(folder, options, progress)


_ROLE_NAME = re.compile(rf"(?:[\x21-\x7e]+/)?{iam.NAME_CHARACTER}{{1,{iam.MAX_ROLE_NAME}}}")


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

    The steps run in order: plan, render every file in memory, audit those files (a
    violation refuses the write with AuditRefusedError, unless `no_audit`), refuse to remove
    the last admin path (LockoutError, unless `allow_lockout`), then write them as one
    transaction. With `adopt`, what exists in AWS already gets Terraform import blocks (see
    mfagen.adopt). `check` first refuses a folder an interrupted render left unfinished
    (transaction.refuse_unfinished); a render finishes it before it reads the folder.
    """
    if check:
        transaction.refuse_unfinished(out)
    validated = validate(config_path)
    built = validated.plan
    # what the checks below read must be whole: an interrupted render is finished first
    finished = False if check else writer.finish(out)
    _refuse_dropping_moves(validated, out)
    adoption = find_existing(built) if adopt else None
    files = render_files(built, blueprints, adoption)
    if check:
        return Rendered(validated, tuple(writer.diff(out, files)), checked=True, adoption=adoption)
    if not no_audit:
        expect = AuditOptions(enforce_mfa=validated.loaded.config.defaults.enforce_mfa)
        report = audit_files(files, str(out), expect)
        if not report.ok:
            raise AuditRefusedError(str(out), report)
    before = writer.read_admin_paths(out)
    if before and not lockout.admin_paths(built) and not allow_lockout:
        raise LockoutError(str(out), before)
    written = writer.write(out, files)
    changes = written.changes
    if finished:
        changes = (writer.Change(transaction.JOURNAL, "interrupted"), *changes)
    return Rendered(validated, changes, checked=False, adoption=adoption)


def _refuse_dropping_moves(validated: Validated, out: Path) -> None:
    """A module applied with mfagen 0.1's users layout needs moved blocks to upgrade: without
    them, Terraform would destroy every user and create them again (and `force_destroy`
    deletes their keys and MFA devices)."""
    earlier = layout.earlier_users_layout(out)
    if earlier is None or validated.plan.moves:
        return
    raise ConfigError(
        [
            validated.loaded.document.problem(
                ("defaults", "moved_blocks"),
                f"{earlier} holds the users in mfagen 0.1's layout (for_each); rendered "
                "without moved blocks, terraform would destroy every user and create them "
                "again, deleting their keys and MFA devices",
                "set defaults.moved_blocks: true to upgrade; set it back to false once every "
                "state of this module has been applied with the new layout "
                "(docs/terraform-at-scale.md)",
            )
        ]
    )


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
    """Merge a block into the user's AWS config file (see mfagen.user.install).

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
        from mfagen.user import enrol as enrolling  # noqa: PLC0415 - botocore: the `aws` extra
    except ModuleNotFoundError as error:
        raise AwsError(
            f"mfagen enrol needs botocore and segno, which are not installed ({error})",
            "pip install 'mfagen[aws]'",
        ) from None
    return enrolling.enrol(install.config_path(aws_config), profile, qr_png, prompter)


def init(path: Path, identity_id: str, *, force: bool = False) -> list[Path]:
    """Write the commented starter accounts.yaml, its schema and a .gitignore (tests prove
    the starter validates and renders); return the files written."""
    if not re.fullmatch(r"[0-9]{12}", identity_id):
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
