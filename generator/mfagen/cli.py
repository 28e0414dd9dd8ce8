"""The command line: each command turns its options into one core call and an exit code.

Each command imports the core (mfagen.api) when it runs, not when this module loads:
`mfagen audit` (a pre-commit hook), `mfagen diff` and `--help` then start without pydantic,
Jinja2 and PyYAML, which none of them needs; the first two call mfagen.audit themselves.
"""

from __future__ import annotations

import gc
import inspect
import os
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

import mfagen
from mfagen.audit import Limits, audit_folder
from mfagen.audit import Options as AuditOptions
from mfagen.audit.checks.report import matrix_part
from mfagen.audit.diff import diff_folders
from mfagen.audit.live import JOBS
from mfagen.errors import ExitCode, MfagenError, UsageError
from mfagen.reporter import JsonReporter, Reporter

# Each command's short_help fits `mfagen --help` whole at 80 columns (click cuts longer ones).
app = typer.Typer(
    name="mfagen",
    help="Make MFA mandatory for AWS CLI users: accounts.yaml -> Terraform IAM + CLI profiles.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)

ConfigArg = Annotated[Path, typer.Argument(help="The accounts file.", show_default=True)]
BlueprintsOpt = Annotated[
    Path | None,
    typer.Option("--blueprints", help="Render with the templates in this folder instead."),
]


class Format(StrEnum):
    text = "text"
    json = "json"


FormatOpt = Annotated[Format, typer.Option("--format", help="text for people, json for machines.")]


def _run(action: Callable[[Reporter], ExitCode], output: Format = Format.text) -> None:
    """The boundary: mfagen's errors become messages and exit codes, nothing else escapes."""
    reporter = JsonReporter() if output is Format.json else Reporter()
    try:
        code = action(reporter)
    except MfagenError as error:
        reporter.error(error)
        code = error.exit_code
    except KeyboardInterrupt:
        reporter.interrupted()
        code = ExitCode.INTERRUPTED
    except Exception as error:
        if os.environ.get("MFAGEN_DEBUG"):
            raise
        reporter.bug(error)
        code = ExitCode.BUG
    raise typer.Exit(int(code))


@app.command(short_help="Check accounts.yaml: every problem, with file:line:col.")
def validate(config: ConfigArg = Path("accounts.yaml"), output: FormatOpt = Format.text) -> None:
    """Check the accounts file; exit 0 when valid, 2 with every problem found."""

    def action(reporter: Reporter) -> ExitCode:
        from mfagen import api  # noqa: PLC0415 - see the module docstring

        reporter.validated(api.validate(config))
        return ExitCode.OK

    _run(action, output)


@app.command(short_help="Render Terraform and profiles into output/, audited.")
def render(
    config: ConfigArg = Path("accounts.yaml"),
    out: Annotated[Path, typer.Option("--out", "-o", help="The output folder.")] = Path("output"),
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 listing the files that differ.")
    ] = False,
    blueprints: BlueprintsOpt = None,
    allow_lockout: Annotated[
        bool,
        typer.Option(
            "--allow-lockout",
            help="Write even when no user would be left with an admin path into the identity "
            "account.",
        ),
    ] = False,
    no_audit: Annotated[
        bool,
        typer.Option(
            "--no-audit", help="Write even when the audit finds a security invariant broken."
        ),
    ] = False,
    adopt: Annotated[
        bool,
        typer.Option(
            "--adopt",
            help="Look up (read-only, with your AWS credentials) which roles, groups, policies "
            "and users exist already; write Terraform import blocks for them (imports.tf).",
        ),
    ] = False,
    output: FormatOpt = Format.text,
) -> None:
    """Render Terraform and AWS CLI profiles into the output folder (audited before writing)."""

    def action(reporter: Reporter) -> ExitCode:
        from mfagen import api  # noqa: PLC0415 - see the module docstring

        result = api.render_to(
            config,
            out,
            check=check,
            blueprints=blueprints,
            allow_lockout=allow_lockout,
            no_audit=no_audit,
            adopt=adopt,
        )
        reporter.rendered(result, str(out))
        return ExitCode.DRIFT if check and result.changes else ExitCode.OK

    _run(action, output)


LIMIT_OPTIONS = {
    "trust_policy_chars": "Trust policy size",
    "group_inline_chars": "A group's inline policies, together",
    "role_inline_chars": "A role's inline policies, together",
    "user_inline_chars": "A user's inline policies, together",
    "managed_policy_chars": "A managed policy's size",
    "managed_policies_per_role": "Managed policies per role",
    "managed_policies_per_group": "Managed policies per group",
    "managed_policies_per_user": "Managed policies per user",
    "groups_per_user": "Groups per user",
}
"""The IAM quotas `mfagen audit` takes as options (--trust-policy-chars ...), for accounts
whose quotas were raised: Limits' field -> the option's help."""


def _with_limit_options(command: Callable[..., None]) -> Callable[..., None]:
    """Give `command`, which takes its quotas as `**limits`, one option per LIMIT_OPTIONS
    entry (typer reads the parameters from the signature), defaulting to IAM's quota."""
    signature = inspect.signature(command, eval_str=True)
    options = [
        inspect.Parameter(
            name,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,  # typer passes every one by name
            default=getattr(Limits, name),
            annotation=Annotated[
                int,
                typer.Option("--" + name.replace("_", "-"), min=1, help=f"{what} (IAM's quota)."),
            ],
        )
        for name, what in LIMIT_OPTIONS.items()
    ]
    kept = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
    last = [p for p in kept if p.name == "output"]  # --format stays last in --help
    first = [p for p in kept if p.name != "output"]
    command.__signature__ = signature.replace(parameters=[*first, *options, *last])  # type: ignore[attr-defined]
    return command


@app.command(short_help="Prove the security invariants of output/, or of IAM (--live).")
@_with_limit_options
def audit(
    folder: Annotated[
        Path, typer.Argument(help="The output folder mfagen rendered (terraform/, profiles/).")
    ] = Path("output"),
    no_enforce_mfa: Annotated[
        bool,
        typer.Option(
            "--no-enforce-mfa",
            help="accounts.yaml sets enforce_mfa: false; do not require the deny without MFA.",
        ),
    ] = False,
    live: Annotated[
        bool,
        typer.Option(
            "--live",
            help="Read IAM in every account the module names (read-only, the credentials "
            "Terraform would use) and prove the invariants there; report drift from FOLDER, "
            "users outside accounts.yaml whose keys reach more, and onboarding (mfagen[aws]).",
        ),
    ] = False,
    role_name: Annotated[
        str | None,
        typer.Option(
            "--role-name",
            help="With --live: assume arn:aws:iam::<account>:role/NAME in every account (a "
            "read-only role, e.g. with SecurityAudit) instead of the accounts' terraform_role.",
        ),
    ] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", min=1, max=64, help="With --live: accounts read at a time.")
    ] = JOBS,
    matrix: Annotated[
        bool,
        typer.Option("--matrix", help="Also print the access matrix: every user's roles."),
    ] = False,
    users: Annotated[
        list[str] | None,
        typer.Option(
            "--user", metavar="NAME", help="Print the access matrix of this user (repeatable)."
        ),
    ] = None,
    accounts: Annotated[
        list[str] | None,
        typer.Option(
            "--account",
            metavar="NAME",
            help="Print the access matrix in this account (repeatable; with --user, theirs).",
        ),
    ] = None,
    output: FormatOpt = Format.text,
    **limits: int,
) -> None:
    """Prove mfagen's security invariants on the committed Terraform; exit 1 on a violation.

    Prints the verdict, the counts and every violation; the access matrix with --matrix, or a
    part of it with --user and --account. --format json holds all of it.

    With --live, on what IAM holds: exit 1 on a violation, drift or an outside user whose keys
    reach more, 2 when an account cannot be read (the others are still audited).
    """
    options = AuditOptions(Limits(**limits), enforce_mfa=not no_enforce_mfa)

    def action(reporter: Reporter) -> ExitCode:
        wanted = matrix or users or accounts
        if live:
            if wanted:
                raise UsageError(
                    "--matrix, --user and --account apply to the audit of the folder, not --live",
                    "with --live, --format json holds the access matrix of what IAM holds",
                )
            return _audit_live(reporter, folder, options, role_name, jobs)
        if role_name is not None:
            raise UsageError("--role-name applies to --live only", "add --live")
        report = audit_folder(folder, options)
        reporter.audited(
            report, matrix_part(report, users or (), accounts or ()) if wanted else None
        )
        return ExitCode.OK if report.ok else ExitCode.DRIFT  # 1: a failed audit

    _run(action, output)


def _audit_live(
    reporter: Reporter, folder: Path, options: AuditOptions, role_name: str | None, jobs: int
) -> ExitCode:
    from mfagen import api  # noqa: PLC0415 - see the module docstring
    from mfagen.audit.live import LiveOptions  # noqa: PLC0415

    progress = reporter.live_progress()
    report = api.audit_live(folder, LiveOptions(options, role_name, jobs), progress)
    reporter.audited_live(report)
    if not report.complete:
        return ExitCode.BAD_INPUT  # 2: an account could not be read
    return ExitCode.OK if report.clean else ExitCode.DRIFT


class DiffFormat(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


@app.command(short_help="Who gains or loses which role between two output/ folders.")
def diff(
    base: Annotated[
        Path, typer.Argument(help="The output folder before the change (the base branch's).")
    ],
    head: Annotated[Path, typer.Argument(help="The output folder after the change.")] = Path(
        "output"
    ),
    output: Annotated[
        DiffFormat,
        typer.Option(
            "--format", help="text for people, markdown for a pull-request comment, json."
        ),
    ] = DiffFormat.text,
) -> None:
    """State the access changes from BASE to HEAD: roles gained and lost, with their MFA
    requirement; tiers' roles and console rights; enrolment windows; users added and removed.

    Computed by the audit from the IAM each folder's Terraform creates. Exit 0 whether or not
    access changed, 2 when a folder is not mfagen output or holds an interrupted render.
    """

    def action(reporter: Reporter) -> ExitCode:
        reporter.diffed(diff_folders(base, head), markdown=output is DiffFormat.markdown)
        return ExitCode.OK

    _run(action, Format.json if output is DiffFormat.json else Format.text)


@app.command(short_help="Print one user's ~/.aws/config block.")
def profile(
    user: Annotated[str, typer.Argument(help="The user whose profiles to print.")],
    config: ConfigArg = Path("accounts.yaml"),
    blueprints: BlueprintsOpt = None,
) -> None:
    """Print one user's ~/.aws/config block."""

    def action(reporter: Reporter) -> ExitCode:
        from mfagen import api  # noqa: PLC0415 - see the module docstring

        reporter.text(api.profile(config, user, blueprints))
        return ExitCode.OK

    _run(action)


AwsConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--aws-config", help="The AWS config file (default: $AWS_CONFIG_FILE or ~/.aws/config)."
    ),
]


@app.command("install-profile", short_help="Merge a handed-out profile file into ~/.aws/config.")
def install_profile(
    what: Annotated[
        str,
        typer.Argument(
            metavar="FILE|USER",
            help="The profile file your team handed out (output/profiles/<user>/config), "
            "or, next to accounts.yaml, the user whose block to install.",
        ),
    ],
    config: Annotated[
        Path | None,
        typer.Argument(help="The accounts file, to install USER's block [default: accounts.yaml]."),
    ] = None,
    aws_config: AwsConfigOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the change as a diff; write nothing.")
    ] = False,
    blueprints: BlueprintsOpt = None,
) -> None:
    """Merge a profile block into ~/.aws/config, keeping everything else."""

    def action(reporter: Reporter) -> ExitCode:
        from mfagen import api  # noqa: PLC0415 - see the module docstring

        result = api.install_profile(
            what, config, aws_config=aws_config, dry_run=dry_run, blueprints=blueprints
        )
        reporter.installed(result, dry_run=dry_run)
        return ExitCode.OK

    _run(action)


@app.command(short_help="Enrol your MFA device with your own keys (mfagen[aws]).")
def enrol(
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            help="The profile whose mfa_serial to enrol [default: the source profile of the "
            "mfagen block installed].",
        ),
    ] = None,
    aws_config: AwsConfigOpt = None,
    qr_png: Annotated[
        Path | None,
        typer.Option(
            "--qr-png", help="Write the QR code to this new file (mode 0600) instead of drawing it."
        ),
    ] = None,
) -> None:
    """Enrol your MFA device: create it, scan the QR code, type two codes, prove it with a third."""

    def action(reporter: Reporter) -> ExitCode:
        from mfagen import api  # noqa: PLC0415 - see the module docstring
        from mfagen.user import prompts  # noqa: PLC0415 - see the module docstring

        result = api.enrol(
            prompts.Terminal(), profile=profile, aws_config=aws_config, qr_png=qr_png
        )
        reporter.enrolled(result)
        return ExitCode.OK

    _run(action)


@app.command(short_help="Print the JSON Schema of accounts.yaml.")
def schema() -> None:
    """Print the JSON Schema of accounts.yaml (for editors: yaml-language-server)."""

    def action(reporter: Reporter) -> ExitCode:
        from mfagen import starter  # noqa: PLC0415 - see the module docstring

        reporter.text(starter.schema_text())
        return ExitCode.OK

    _run(action)


@app.command(short_help="Write a starter accounts.yaml, its schema, a .gitignore.")
def init(
    path: Annotated[Path, typer.Argument(help="The file to write.")] = Path("accounts.yaml"),
    identity_id: Annotated[
        str, typer.Option("--identity-id", help="The identity account's 12-digit id.")
    ] = "123456789012",
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter accounts.yaml (with its schema and a .gitignore)."""

    def action(reporter: Reporter) -> ExitCode:
        from mfagen import api  # noqa: PLC0415 - see the module docstring

        written = api.init(path, identity_id, force=force)
        reporter.say(f"{', '.join(map(str, written))}: written; edit {path}, then run "
                     "`mfagen validate` and `mfagen render`")  # fmt: skip
        return ExitCode.OK

    _run(action)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mfagen {mfagen.__version__}")
        raise typer.Exit


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """mfagen: make MFA mandatory for everyone who uses AWS from a terminal."""


def main() -> None:
    _tune_gc()
    app()


def _tune_gc() -> None:
    """Collect cycles rarely: one run of mfagen allocates millions of small objects (the
    plan, the audit) and frees them by reference counting, while the cycle collector with its
    default threshold would walk the young objects every 700 allocations and the whole heap
    ever more often, finding nothing. mypy's main does the same. Objects alive after the
    imports are moved out of the collector's sight."""
    gc.freeze()
    gc.set_threshold(100_000, 20, 100)
