"""How numbers read in messages (wording.py)."""

from __future__ import annotations

import pytest

from mfagen.wording import duration


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (45, "45s"),
        (900, "15m"),
        (3600, "1h"),
        (5400, "1h30m"),
        (3661, "1h1m1s"),
        (43200, "12h"),
        (-5, "-5s"),
    ],
)
def test_a_duration_reads_in_hours_minutes_and_seconds(seconds: int, text: str) -> None:
    assert duration(seconds) == text
