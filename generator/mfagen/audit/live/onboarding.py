"""Where each user's onboarding stands, for an admin: never a reason to fail.

Per user of the module, from the identity account's virtual MFA devices and credential report:
whether the device their profiles name (`mfa_serial`) is enabled for them, or which device
they enabled instead (their profiles will not work until accounts.yaml names it); then what
to do: close an open window once they have a device, open it for a user with active keys and
no device (while it is closed they cannot enrol), retire a key unused for 90 days.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from mfagen.audit.live.findings import Onboarding, Stage, Window
from mfagen.audit.live.state import AccountState, Credentials, Key
from mfagen.audit.model import Module
from mfagen.audit.read.profiles import ProfileFile

UNUSED = timedelta(days=90)


def status(
    expected: Module, state: AccountState, files: Mapping[str, ProfileFile], now: datetime
) -> list[Onboarding]:
    """Each user's status, in the module's order (the identity account's `state`)."""
    present = {str(u["UserName"]) for u in state.users}
    devices: dict[str, list[str]] = {}
    owner: dict[str, str | None] = {}
    for device in state.devices:
        owner[device.serial] = device.user
        if device.user is not None:
            devices.setdefault(device.user, []).append(device.serial)
    found = []
    for user in expected.users:
        window: Window = "open" if user.name in expected.enrolment_open else "closed"
        file = files.get(user.name)
        named = tuple(sorted({p.mfa_serial for p in file.profiles if p.mfa_serial} if file else ()))
        if user.name not in present:
            found.append(Onboarding(user.name, "no user", named, (), window, 0,
                                    ("IAM holds no such user: apply the output",)))  # fmt: skip
            continue
        mine = tuple(sorted(devices.get(user.name, ())))
        credentials = state.credentials.get(user.name)
        keys = credentials.keys if credentials else ()
        notes = list(_devices(named, mine, owner, credentials))
        enrolled = bool(mine) or bool(credentials and credentials.mfa_active)
        if window == "open" and enrolled:
            notes.append("has an MFA device: close the enrolment window (remove enrolment: open)")
        if window == "closed" and keys and not enrolled:
            notes.append(
                "has active keys and no MFA device, and the window is closed: they cannot "
                "enrol (open it: enrolment: open)"
            )
        notes += _unused(keys, now)
        state_of: Stage
        if named and set(named) <= set(mine):
            state_of = "enrolled"
        elif mine:
            state_of = "other device"
        else:
            state_of = "not enrolled"
        found.append(Onboarding(user.name, state_of, named, mine, window, len(keys), tuple(notes)))
    return found


def _devices(
    named: tuple[str, ...],
    mine: tuple[str, ...],
    owner: Mapping[str, str | None],
    credentials: Credentials | None,
) -> Iterable[str]:
    for serial in named:
        if serial in mine:
            continue
        if serial in owner:
            holder = owner[serial]
            yield (
                f"{serial} exists but is not enabled (created, never enabled: it blocks the "
                "name until deleted)"
                if holder is None
                else f"{serial} is enabled for {holder}, not for them"
            )
        elif mine:
            yield (
                f"enabled {', '.join(mine)}, not {serial} their profiles name: set mfa_device "
                "in accounts.yaml, or enrol the device named"
            )
    if not mine and credentials is not None and credentials.mfa_active:
        yield (
            "has an MFA device that is not a virtual one (a security key or hardware token): "
            "the AWS CLI's profiles need the virtual device they name"
        )


def _unused(keys: Iterable[Key], now: datetime) -> Iterable[str]:
    for key in keys:
        since = key.last_used or key.last_rotated
        if since is not None and now - since >= UNUSED:
            how = "last used" if key.last_used else "never used, created"
            yield f"access key {key.number} {how} {(now - since).days} days ago"
