"""The plan: every provider, role, group, policy, user and profile with its final name and ARN.

Built once from a validated Config (`build`); plain frozen data from then on (`model.py`, and
the users' profiles in `profiles.py`). Templates lay the plan out and never decide anything
themselves; `quotas.py` words what IAM's quotas refuse.
"""

from mfagen.iam import MANAGED_POLICY_CHARS, TRUST_POLICY_CHARS
from mfagen.plan.build import build
from mfagen.plan.model import (
    SELF_SERVICE_GROUP_KEY,
    SELF_SERVICE_KEY,
    Group,
    Module,
    Move,
    Plan,
    PlanError,
    Provider,
    Role,
    SelfService,
    User,
    group_key,
)
from mfagen.plan.profiles import Profile, ProfileFile

__all__ = [
    "MANAGED_POLICY_CHARS",
    "SELF_SERVICE_GROUP_KEY",
    "SELF_SERVICE_KEY",
    "TRUST_POLICY_CHARS",
    "Group",
    "Module",
    "Move",
    "Plan",
    "PlanError",
    "Profile",
    "ProfileFile",
    "Provider",
    "Role",
    "SelfService",
    "User",
    "build",
    "group_key",
]
