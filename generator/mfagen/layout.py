"""Where mfagen's files live inside the output folder: `render` writes them there and the
audit reads them there. It imports nothing, so that `mfagen audit` reads it alone."""

from __future__ import annotations

TERRAFORM_DIR = "terraform"
"""The Terraform root module, or one folder per account below it (layout per-account)."""
PROFILES_DIR = "profiles"


def profile_path(user: str) -> str:
    """A user's AWS CLI profile file, relative to the output folder."""
    return f"{PROFILES_DIR}/{user}/config"
