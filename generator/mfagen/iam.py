"""IAM's documented facts: the quotas, names and condition keys mfagen plans with and the
audit checks. The one place each is written down; it imports nothing, so that `mfagen audit`
reads it without the rest of mfagen.
"""

from __future__ import annotations

import re

NAME_CHARACTER = r"[A-Za-z0-9_+=,.@-]"
NAME = re.compile(f"{NAME_CHARACTER}+")
"""User, group, role, policy and MFA device names: ASCII letters and digits and _+=,.@-
(IAM's API pattern `[\\w+=,.@-]+`, where \\w means ASCII word characters)."""
NAME_CHARACTERS = "letters, digits and +=,.@_-"
PATH = re.compile(r"/(?:[\x21-\x7e]+/)?")
"""`/`, or `/.../` of printable ASCII."""
MAX_PATH = 512
MAX_USER_NAME = 64
MAX_ROLE_NAME = 64
MAX_GROUP_NAME = 128
MAX_POLICY_NAME = 128
MAX_MFA_DEVICE_NAME = 226

MIN_SESSION, MAX_SESSION = 3600, 43200
"""A role's MaxSessionDuration, in seconds."""

# Quotas of one account (policy sizes count characters without whitespace, as IAM does).
TRUST_POLICY_CHARS = 2048
GROUP_INLINE_CHARS = 5120
ROLE_INLINE_CHARS = 10240
USER_INLINE_CHARS = 2048
MANAGED_POLICY_CHARS = 6144
MANAGED_POLICIES_PER_ROLE = 10
MANAGED_POLICIES_PER_GROUP = 10
MANAGED_POLICIES_PER_USER = 10
GROUPS_PER_USER = 10
GROUPS_PER_ACCOUNT = 300
ROLES_PER_ACCOUNT = 1000
USERS_PER_ACCOUNT = 5000

ASSUME_ROLE = "sts:AssumeRole"
MFA_PRESENT = "aws:MultiFactorAuthPresent"
MFA_AGE = "aws:MultiFactorAuthAge"
