"""An access diff laid out for people (text, or Markdown for a pull-request comment) and for
machines (JSON). The reporter prints what these return.

Text and Markdown share their wording: each is a summary line, then the tiers whose roles or
console rights changed, then each user whose access changed, one line per change. A user's
roles are grouped by tier and requirement: `gains admin in dev, prod (with MFA at most 1h old)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple, TypeVar

from mfagen.audit.diff.changes import (
    AccessDiff,
    Counted,
    Grant,
    RoleChange,
    TierChanges,
    UserChanges,
)
from mfagen.audit.diff.snapshot import Console, Person, RoleFacts
from mfagen.wording import count, duration

Quote = Callable[[str], str]
T = TypeVar("T")
K = TypeVar("K")
Entry = tuple[str, list[str]]
"""A tier or a user: its heading, and one line per change."""

DELETED = "their IAM user, access keys and MFA devices will be deleted (force_destroy)"
FOLDED_FROM = 10
"""Markdown folds a list of more tiers or users than this into a <details> block."""
MARKDOWN_LIMIT = 60_000
"""Characters of Markdown at most: a GitHub comment holds 65,536."""


def summary(diff: AccessDiff) -> str:
    """`BASE -> HEAD: 1 user added, 2 gain access, ...`, or `no access changes`."""
    return f"{diff.base} -> {diff.head}: {_counts(diff, str)}"


class Tally(NamedTuple):
    """One number of a diff's summary."""

    key: Counted
    """What AccessDiff.count counts."""
    json: str
    """Its name in the JSON's summary."""
    phrase: Callable[[int], str]
    """Its words in the text and Markdown summary, which leave it out when it is 0."""
    strong: bool = False
    """Bold in Markdown: a removal, or access without MFA."""


TALLIES = (
    Tally("added", "users_added", lambda n: f"{count(n, 'user')} added"),
    Tally("removed", "users_removed", lambda n: f"{count(n, 'user')} removed", strong=True),
    Tally("gain", "users_gaining", lambda n: f"{n} {_verb(n, 'gain')} access"),
    Tally("lose", "users_losing", lambda n: f"{n} {_verb(n, 'lose')} access"),
    Tally("changed", "users_changed", lambda n: f"{n} with changed access"),
    Tally("opened", "windows_opened", lambda n: f"{count(n, 'enrolment window')} opened"),
    Tally("closed", "windows_closed", lambda n: f"{count(n, 'enrolment window')} closed"),
    Tally("tiers", "tiers_changed", lambda n: f"{count(n, 'tier')} changed"),
    Tally(
        "without_mfa",
        "users_without_mfa",
        lambda n: f"{count(n, 'user')} may now assume a role WITHOUT MFA",
        strong=True,
    ),
)
"""The summary's numbers, in the order the text and the JSON give them."""


def _counts(diff: AccessDiff, strong: Quote) -> str:
    if not diff.changed:
        return "no access changes"
    parts = []
    for tally in TALLIES:
        number = diff.count(tally.key)
        if number:
            phrase = tally.phrase(number)
            parts.append(strong(phrase) if tally.strong else phrase)
    # what no number counts: a user mfagen now creates, or deletes with force_destroy, or not
    return ", ".join(parts) or f"{count(len(diff.users), 'user')} changed otherwise"


def _verb(number: int, verb: str) -> str:
    return f"{verb}s" if number == 1 else verb


def text(diff: AccessDiff) -> list[str]:
    lines = [summary(diff)]
    for title, entries in (("tiers", _tiers(diff, str)), ("users", _users(diff, str))):
        if entries:
            lines.append(title)
            for heading, changes in entries:
                lines.append(f"  {heading}")
                lines.extend(f"    {change}" for change in changes)
    return lines


def markdown(diff: AccessDiff) -> str:
    """A pull-request comment: a heading, the summary, the tiers and the users as lists."""
    lines = [
        "### mfagen diff: access changes",
        "",
        f"`{diff.base}` → `{diff.head}`: {_counts(diff, _bold)}",
    ]
    length = sum(len(line) + 1 for line in lines)
    for title, entries in (("Tiers", _tiers(diff, _code)), ("Users", _users(diff, _code))):
        if not entries:
            continue
        lines += ["", f"#### {title}", ""]
        folded = len(entries) > FOLDED_FROM
        if folded:
            lines += [f"<details><summary>{count(len(entries), title[:-1].lower())}</summary>", ""]
        for shown, (heading, changes) in enumerate(entries):
            block = [f"- {heading}", *(f"  - {change}" for change in changes)]
            size = sum(len(line) + 1 for line in block)
            if length + size > MARKDOWN_LIMIT:
                rest = len(entries) - shown
                lines.append(f"- … and {rest} more: run `mfagen diff` to see them all")
                break
            lines += block
            length += size
        if folded:
            lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _bold(words: str) -> str:
    return f"**{words}**"


def _code(name: str) -> str:
    return f"`{name}`"


def _tiers(diff: AccessDiff, quote: Quote) -> list[Entry]:
    return [(_tier_heading(tier, quote), list(_tier_lines(tier, quote))) for tier in diff.tiers]


def _tier_heading(tier: TierChanges, quote: Quote) -> str:
    state = {"added": "new tier, ", "removed": "tier removed, had ", "changed": ""}[tier.status]
    return f"{quote(tier.tier)} ({state}{count(tier.members, 'member')})"


def _tier_lines(tier: TierChanges, quote: Quote) -> Iterable[str]:
    def accounts(roles: Iterable[RoleChange]) -> str:
        return ", ".join(quote(r.account) for r in roles)

    added = [r for r in tier.roles if r.before is None]
    for age, roles in _grouped(added, lambda r: _age(r.after)):
        yield f"new role in {accounts(roles)}, {_maximum(age)}"
    removed = [r for r in tier.roles if r.after is None]
    if removed:
        yield f"role in {accounts(removed)} removed"
    kept = [(r, r.before, r.after) for r in tier.roles if r.before and r.after]
    for r, was, now in kept:
        if was.arn != now.arn:
            yield f"role in {quote(r.account)} is now {quote(now.arn)} (was {was.arn})"
    ages = [(r, was.max_age, now.max_age) for r, was, now in kept if was.max_age != now.max_age]
    for (was_age, now_age), same in _grouped(ages, lambda change: change[1:]):
        changed = ", ".join(quote(r.account) for r, _, _ in same)
        yield f"MFA maximum age in {changed}: {_duration(was_age)} -> {_duration(now_age)}"
    if tier.console is not None:
        before, after = tier.console
        if before is None and after is not None:
            yield f"console rights added: {_console(after, quote)}"
        elif after is None and before is not None:
            yield f"console rights removed: {_console(before, quote)}"
        elif before is not None and after is not None:
            yield f"console rights now {_console(after, quote)} (were {', '.join(before.policies)})"


def _users(diff: AccessDiff, quote: Quote) -> list[Entry]:
    return [(_user_heading(user, quote), list(_user_lines(user, quote))) for user in diff.users]


def _user_heading(user: UserChanges, quote: Quote) -> str:
    name = quote(user.name)
    if user.status == "added" and user.after is not None:
        made = "a new IAM user" if user.after.created else "an existing IAM user, in its groups"
        return f"{name}: added, {made}"
    if user.status == "removed" and user.before is not None:
        return f"{name}: removed: {_removal(user.before)}"
    return name


def _removal(person: Person) -> str:
    if not person.created:
        return "out of mfagen's groups; their IAM user stays (create_users: false)"
    if person.force_destroy:
        return DELETED
    return (
        "their IAM user will be deleted (terraform apply fails while it has access keys or MFA "
        "devices)"
    )


def _user_lines(user: UserChanges, quote: Quote) -> Iterable[str]:
    before, after = user.before, user.after
    if user.status == "changed" and before is not None and after is not None:
        if before.created and not after.created:
            yield f"the module no longer creates their IAM user: terraform apply {_deletes(before)}"
        elif after.created and not before.created:
            yield "the module now creates their IAM user (one that exists: mfagen render --adopt)"
        elif after.force_destroy and not before.force_destroy:
            yield "force_destroy on: removing them will delete their access keys and MFA devices"
        elif before.force_destroy and not after.force_destroy:
            yield "force_destroy off: removing them will fail while they have keys or MFA devices"
    for how, grants in _grouped(user.gains, _requirement):
        yield f"gains {_where(grants, quote)} ({how})" if how else f"gains {_where(grants, quote)}"
    for (was, now), changes in _grouped(
        user.changed, lambda c: (_requirement(c.before), _requirement(c.after))
    ):
        yield f"{_where([c.after for c in changes], quote)}: {was} -> {now}"
    if user.loses:
        yield f"loses {_where(user.loses, quote)}"
    if user.window == "opened":
        opened = "open" if user.status == "added" else "opened"
        yield f"enrolment window {opened}: may enrol an MFA device with long-term keys alone"
    elif user.window == "closed":
        yield "enrolment window closed"


def _deletes(person: Person) -> str:
    if person.force_destroy:
        return "deletes it, with its access keys and MFA devices (force_destroy)"
    return "deletes it, and fails while it has access keys or MFA devices"


def _where(grants: Iterable[Grant], quote: Quote) -> str:
    """`admin in dev, prod; s3 in dev`, and a tier's console rights by name."""
    parts = []
    for tier, same in _grouped(grants, lambda g: (g.tier, g.console)):
        name, console = tier
        if console is not None:
            parts.append(f"{quote(name)}'s console rights ({_console(console, quote)})")
        else:
            parts.append(f"{quote(name)} in {', '.join(quote(g.account) for g in same)}")
    return "; ".join(parts)


def _requirement(grant: Grant) -> str:
    """How the user may assume the role: `with MFA at most 1h old`, `even without MFA`..."""
    if grant.console is not None:
        return ""
    if grant.without_mfa:
        how = "even WITHOUT MFA"
    elif not grant.with_mfa:
        how = "refused even with MFA"
    elif grant.old_mfa or grant.max_age is None:
        how = "with MFA"
    else:
        how = f"with MFA at most {_duration(grant.max_age)} old"
    return how if grant.member else f"{how}, not a member"


def _console(console: Console, quote: Quote) -> str:
    return f"{', '.join(console.policies)} on group {quote(console.group)}, with MFA"


def _age(facts: RoleFacts | None) -> int | None:
    return facts.max_age if facts else None


def _maximum(age: int | None) -> str:
    return f"MFA maximum age {_duration(age)}" if age is not None else "no MFA maximum age"


def _duration(seconds: int | None) -> str:
    return "none" if seconds is None else duration(seconds)


def _grouped(items: Iterable[T], key: Callable[[T], K]) -> list[tuple[K, list[T]]]:
    """Items by key, keys in the order they first come."""
    found: dict[K, list[T]] = {}
    for item in items:
        found.setdefault(key(item), []).append(item)
    return list(found.items())


def as_json(diff: AccessDiff) -> dict[str, Any]:
    return {
        "base": diff.base,
        "head": diff.head,
        "changed": diff.changed,
        "summary": {tally.json: diff.count(tally.key) for tally in TALLIES},
        "tiers": [
            {
                "tier": tier.tier,
                "status": tier.status,
                "members": tier.members,
                "roles": [
                    {"account": r.account, "before": _facts(r.before), "after": _facts(r.after)}
                    for r in tier.roles
                ],
                "console": _console_change(tier.console),
            }
            for tier in diff.tiers
        ],
        "users": [
            {
                "user": user.name,
                "status": user.status,
                "before": _person(user.before),
                "after": _person(user.after),
                "enrolment": user.window,
                "gains": [_grant(g) for g in user.gains],
                "loses": [_grant(g) for g in user.loses],
                "changed": [
                    {"before": _grant(c.before), "after": _grant(c.after)} for c in user.changed
                ],
            }
            for user in diff.users
        ],
    }


def _facts(facts: RoleFacts | None) -> dict[str, Any] | None:
    return None if facts is None else {"role": facts.arn, "mfa_max_age": facts.max_age}


def _console_change(change: tuple[Console | None, Console | None] | None) -> Any:
    if change is None:
        return None
    return {"before": _console_json(change[0]), "after": _console_json(change[1])}


def _console_json(console: Console | None) -> dict[str, Any] | None:
    return None if console is None else {"group": console.group, "policies": list(console.policies)}


def _person(person: Person | None) -> dict[str, Any] | None:
    if person is None:
        return None
    return {
        "created": person.created,
        "force_destroy": person.force_destroy,
        "enrolment": "open" if person.window_open else "closed",
    }


def _grant(grant: Grant) -> dict[str, Any]:
    if grant.console is not None:
        return {"kind": "console", "account": grant.account, "tier": grant.tier,
                **(_console_json(grant.console) or {})}  # fmt: skip
    return {
        "kind": "role",
        "account": grant.account,
        "tier": grant.tier,
        "role": grant.role,
        "member": grant.member,
        "with_mfa": grant.with_mfa,
        "without_mfa": grant.without_mfa,
        "too_old": None if grant.max_age is None else grant.old_mfa,
        "mfa_max_age": grant.max_age,
    }
