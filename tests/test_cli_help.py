"""`mfagen --help` shows each command's summary whole, at a terminal's 80 columns."""

from __future__ import annotations

from typer.testing import CliRunner

from mfagen.cli import app


def test_every_command_summary_is_shown_whole() -> None:
    result = CliRunner().invoke(app, ["--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    commands = result.output.split("Commands:\n", 1)[1].splitlines()
    shown = [line.split(None, 1) for line in commands if line.strip()]
    assert [name for name, _ in shown] == [
        "validate", "render", "audit", "diff", "profile", "install-profile", "enrol", "schema",
        "init",
    ]  # fmt: skip
    for name, summary in shown:
        assert not summary.endswith("..."), f"{name}: {summary}"
        assert summary.endswith((".", ")")), f"{name}: {summary}"
