"""Rendered examples as in-memory files, and the edits a careless reviewer makes to them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from mfagen import api, hcl
from mfagen.audit import Options, audit_files
from mfagen.audit.checks.report import AuditReport

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = {
    "accounts": ROOT / "accounts.yaml",
    "seed": ROOT / "examples" / "seed.yaml",
    "large-tier": ROOT / "tests" / "cases" / "large-tier.yaml",
    "per-account": ROOT / "examples" / "per-account.yaml",
}

EARLIER = ROOT / "tests" / "e2e" / "earlier-blueprints"
"""users.tf as mfagen wrote it before (`objects`, then `names`): modules committed back then."""

Files = dict[str, str]
Document = dict[str, Any]


@cache
def _rendered(config: Path, blueprints: Path | None) -> tuple[tuple[str, str], ...]:
    files = api.render_files(api.validate(config).plan, blueprints)
    return tuple((path, content.decode("utf-8")) for path, content in files.items())


def rendered(name: str, layout: str | None = None) -> Files:
    """A fresh, editable copy of an example's rendered files; with `layout`, in that earlier
    layout of users.tf (a folder of tests/e2e/earlier-blueprints)."""
    return dict(_rendered(EXAMPLES[name], EARLIER / layout if layout else None))


def audit(files: Files, *, enforce_mfa: bool = True) -> AuditReport:
    return audit_files(files, "output", Options(enforce_mfa=enforce_mfa))


def keys(report: AuditReport) -> set[tuple[str, str]]:
    """What a report says, without its evidence (which moves when lines move)."""
    return {(finding.invariant, finding.message) for finding in report.findings}


def replace(files: Files, path: str, old: str, new: str, count: int = -1) -> Files:
    text = files[path]
    assert old in text, f"{old!r} not in {path}"
    return {**files, path: text.replace(old, new, count)}


_HEREDOC = re.compile(r"<<-EOT\n(?P<body>.*?)\n(?P<indent> *)EOT", re.S)


def edit_policy(files: Files, path: str, resource: str, edit: Callable[[Document], None]) -> Files:
    """Edit the JSON policy of `resource "TYPE" "NAME"` (given as 'TYPE.NAME') in place."""
    kind, name = resource.split(".", 1)
    text = files[path]
    start = text.index(f'resource "{kind}" "{name}" {{')
    match = _HEREDOC.search(text, start)
    assert match is not None
    document = json.loads(match["body"].replace("$${", "${").replace("%%{", "%{"))
    edit(document)
    block = hcl.heredoc(document, len(match["indent"]))
    return {**files, path: text[: match.start()] + block + text[match.end() :]}


def statement(document: Document, sid: str) -> Document:
    found: Document = next(s for s in document["Statement"] if s.get("Sid") == sid)
    return found


def remove_block(files: Files, path: str, resource: str) -> Files:
    """Delete `resource "TYPE" "NAME" { ... }` (up to the next top-level `}`)."""
    kind, name = resource.split(".", 1)
    text = files[path]
    start = text.index(f'resource "{kind}" "{name}" {{')
    end = text.index("\n}\n", start) + 3
    return {**files, path: text[:start] + text[end:]}


def add(files: Files, path: str, text: str) -> Files:
    return {**files, path: files.get(path, "") + "\n" + text}
