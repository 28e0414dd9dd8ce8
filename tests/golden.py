"""The golden cases: each config and the folder holding its expected rendered output."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import ROOT

CASES: dict[str, tuple[Path, Path]] = {
    # accounts.yaml's golden tree is the committed output/ itself: it must stay fresh.
    "accounts": (ROOT / "accounts.yaml", ROOT / "output"),
    "per-account": (
        ROOT / "examples" / "per-account.yaml",
        ROOT / "tests" / "golden" / "per-account",
    ),
    "seed": (ROOT / "examples" / "seed.yaml", ROOT / "tests" / "golden" / "seed"),
    "large-tier": (
        ROOT / "tests" / "cases" / "large-tier.yaml",
        ROOT / "tests" / "golden" / "large-tier",
    ),
}
