"""`mfagen audit`: prove SPEC's security invariants on the committed Terraform and profiles.

The audit reads the HCL, not accounts.yaml, so it sees hand edits: it rebuilds every principal
and policy the module creates, evaluates them with AWS's policy evaluation logic and reports an
access matrix and every violation with the statements behind it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mfagen.audit.checks import invariants, quotas, selfservice, subjects
from mfagen.audit.checks.access import Access
from mfagen.audit.checks.matrix import Cells
from mfagen.audit.checks.quotas import Limits
from mfagen.audit.checks.report import AuditReport, merge
from mfagen.audit.errors import AuditInputError
from mfagen.audit.model import Module
from mfagen.audit.read import profiles, terraform
from mfagen.audit.read.folder import profile_texts
from mfagen.layout import PROFILES_DIR, TERRAFORM_DIR
from mfagen.transaction import refuse_unfinished

__all__ = [
    "AuditInputError",
    "AuditReport",
    "Limits",
    "Options",
    "audit_files",
    "audit_folder",
    "check",
    "read_folder",
]


_OUTPUT_HINT = "point the audit at mfagen's output folder"
_UNREADABLE_HINT = "check that it is a file you may read"
_NOT_UTF8_HINT = "mfagen writes UTF-8: render again"


@dataclass(frozen=True)
class Options:
    limits: Limits = field(default_factory=Limits)
    enforce_mfa: bool = True
    """Require the deny-without-MFA of invariant 3 (accounts.yaml's enforce_mfa)."""


def audit_folder(folder: Path, options: Options | None = None) -> AuditReport:
    """Audit an output folder as committed: FOLDER/terraform/*.tf and FOLDER/profiles/*/config."""
    found, profile_files = read_folder(folder)
    return check(found, profile_files, str(folder), options or Options())


def read_folder(folder: Path) -> tuple[Module, dict[str, profiles.ProfileFile]]:
    """An output folder read into the model and its profile files: what `audit_folder`
    proves the invariants on, and what `mfagen audit --live` compares IAM with."""
    return read_files(folder_files(folder), str(folder))


def folder_files(folder: Path, *, with_profiles: bool = True) -> dict[str, str]:
    """The files of an output folder the audit reads (relative path -> text): its Terraform,
    and its profile files unless `with_profiles` is False. Every reader of an output folder in
    the audit comes through here, after the refusal of a folder an interrupted render left
    unfinished."""
    refuse_unfinished(folder)
    root = folder / TERRAFORM_DIR
    if not root.is_dir():
        raise AuditInputError("no terraform/ folder here", _OUTPUT_HINT, str(folder))
    files: dict[str, str] = {}
    for pattern in ("*.tf", "*.tf.json", "*/*.tf", "*/*.tf.json"):
        for path in sorted(root.glob(pattern)):
            if path.is_file():
                files[path.relative_to(folder).as_posix()] = _text(path)
    profile_root = folder / PROFILES_DIR
    if with_profiles and profile_root.is_dir():
        texts = profile_texts(profile_root, PROFILES_DIR)
        if texts is None:  # something cannot be read: say what, as pathlib finds it
            texts = {
                f"{PROFILES_DIR}/{path.parent.name}/config": _text(path)
                for path in sorted(profile_root.glob("*/config"))
            }
        files.update(texts)
    return files


def audit_files(
    files: Mapping[str, str | bytes], label: str, options: Options | None = None
) -> AuditReport:
    """Audit rendered files (relative path -> content), e.g. before `render` writes them."""
    found, profile_files = read_files(files, label)
    return check(found, profile_files, label, options or Options())


def read_files(
    files: Mapping[str, str | bytes], label: str
) -> tuple[Module, dict[str, profiles.ProfileFile]]:
    """Rendered files (relative path -> content) read into the model and the profile files."""
    tf_files = {p: _decode(p, t) for p, t in files.items() if p.startswith(f"{TERRAFORM_DIR}/")}
    for path in tf_files:
        name = path.rsplit("/", 1)[-1]
        if name == "override.tf" or name.endswith((".tf.json", "_override.tf")):
            raise AuditInputError(
                "Terraform merges this file into the module in ways the audit does not model",
                "fold it into the other files or remove it",
                path,
            )
    if not tf_files:
        raise AuditInputError("no *.tf files to audit", _OUTPUT_HINT, label)
    found = terraform.read(tf_files)  # first: its errors come before the profile files'
    profile_files = profiles.read(
        {
            path: _decode(path, content)
            for path, content in files.items()
            if path.startswith(f"{PROFILES_DIR}/") and path.count("/") == 2
        }
    )
    return found, profile_files


def check(
    found: Module, files: dict[str, profiles.ProfileFile], label: str, options: Options
) -> AuditReport:
    """Every invariant and quota on a module read and its profile files. The report lists
    strays and trusts (1, 2), self-service (3, 4), groups (5), profiles (6), then quotas."""
    enforce_mfa = options.enforce_mfa
    classes = subjects.classes(found)
    access = Access(found, classes)
    first = [*invariants.strays(found), *invariants.trusts(found, access)]
    groups = list(invariants.groups(found, access))
    cells = Cells(access)
    limits = list(quotas.check(found, options.limits))
    devices = {n: _devices(files.get(cls.representative.name)) for n, cls in enumerate(classes)}
    selfserve = list(selfservice.check(access, devices, enforce_mfa=enforce_mfa))
    in_profiles = list(invariants.profiles(found, access, files, cells))
    return AuditReport(
        folder=label,
        identity_account=found.identity_account,
        accounts=found.accounts,
        tiers=found.tiers,
        roles=len(found.roles),
        matrix=cells.matrix(),
        findings=merge([*first, *selfserve, *groups, *in_profiles, *limits]),
        limits=options.limits.as_dict(),
        enrolment_open=found.enrolment_open,
    )


def _devices(file: profiles.ProfileFile | None) -> tuple[str, ...]:
    if file is None:
        return ()
    serials = {p.mfa_serial for p in file.profiles if p.mfa_serial and ":mfa/" in p.mfa_serial}
    return tuple(sorted(serial.split(":mfa/", 1)[1] for serial in serials))


def _text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except OSError as error:
        raise AuditInputError(f"cannot read: {error}", _UNREADABLE_HINT, str(path)) from None
    except UnicodeDecodeError as error:
        raise AuditInputError(f"cannot read: {error}", _NOT_UTF8_HINT, str(path)) from None


def _decode(path: str, content: str | bytes) -> str:
    if isinstance(content, str):
        return content
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise AuditInputError(f"not UTF-8: {error}", _NOT_UTF8_HINT, path) from None
