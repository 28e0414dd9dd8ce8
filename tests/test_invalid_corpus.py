"""Every config in tests/invalid/ is refused with exactly the message in its .expected file.

Each NAME.yaml holds one defect; NAME.expected is the exact stderr of `mfagen validate
NAME.yaml` run from inside tests/invalid. After an intended change to a message, refresh them:

    pytest tests/test_invalid_corpus.py --update-golden

then read the diff: each message must name file:line:col and the field, and give a hint.
To add a case, write NAME.yaml (a comment on line 1 says what is wrong) and run the same command.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mfagen.cli import app

CORPUS = Path(__file__).parent / "invalid"
CASES = sorted(path.stem for path in CORPUS.glob("*.yaml"))
runner = CliRunner()


@pytest.mark.parametrize("case", CASES)
def test_invalid_config_is_refused_with_its_message(
    case: str, update_golden: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(CORPUS)
    result = runner.invoke(app, ["validate", f"{case}.yaml"])
    expected = CORPUS / f"{case}.expected"
    if update_golden:
        expected.write_text(result.stderr, encoding="utf-8")
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert expected.is_file(), f"no {expected.name}: run pytest --update-golden and read it"
    assert result.stderr == expected.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES)
def test_each_case_has_one_positioned_error_with_a_hint(case: str) -> None:
    expected = (CORPUS / f"{case}.expected").read_text(encoding="utf-8")
    error, hint, summary = expected.splitlines()
    assert re.fullmatch(rf"{re.escape(case)}\.yaml:\d+:\d+: error: \S.*: \S.*", error), error
    assert re.fullmatch(r"  hint: \S.*", hint), hint
    assert summary == "mfagen: 1 error, nothing written"


def test_the_folder_holds_pairs_of_config_and_expected_message_only() -> None:
    names = {path.name for path in CORPUS.iterdir()}
    pairs = {f"{case}{suffix}" for case in CASES for suffix in (".yaml", ".expected")}
    assert sorted(names - pairs) == [], "leftovers: remove them"
    assert sorted(pairs - names) == [], "missing: run pytest --update-golden and read them"


def test_the_corpus_covers_many_defects() -> None:
    assert len(CASES) >= 50
