"""Where mfagen's files live inside the output folder: `render` writes them there and the
audit reads them there. It imports nothing of mfagen's, so that `mfagen audit` reads it
alone."""

from __future__ import annotations

import re
from pathlib import Path

TERRAFORM_DIR = "terraform"
"""The Terraform root module, or one folder per account below it (layout per-account)."""
PROFILES_DIR = "profiles"
ENROLMENT_OUTPUT = "enrolment_open"
"""The module's output that declares the users whose enrolment window is open: the template
writes it, the audit reads it."""
MACHINE_USERS_OUTPUT = "machine_users"
"""The module's output that acknowledges IAM users kept outside mfagen (`<account>/<user>`)."""


def profile_path(user: str) -> str:
    """A user's AWS CLI profile file, relative to the output folder."""
    return f"{PROFILES_DIR}/{user}/config"


USERS_FILE = "users.tf"
"""The identity account's users and memberships, in its root module's folder."""
_EARLIER_USERS = re.compile(
    r'^resource "aws_iam_user(?:_group_membership)?" "user" \{\n(?:  .*\n|\n)*?  for_each = ',
    re.MULTILINE,
)
"""mfagen's users before each had blocks of its own: one for_each resource per kind."""


def earlier_users_layout(out: Path) -> Path | None:
    """The users.tf in `out` that holds the users as instances of one for_each resource (the
    layout of mfagen 0.1), or None. Rendered without moved blocks, such a module would plan
    every user destroyed and created again."""
    root = out / TERRAFORM_DIR
    for path in sorted([root / USERS_FILE, *root.glob(f"*/{USERS_FILE}")]):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if _EARLIER_USERS.search(text):
            return path
    return None
