"""The fast profile reader returns exactly what the botocore-compatible one returns, or nothing."""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mfagen.audit import AuditInputError
from mfagen.audit.read import profiles, profiles_fast
from mfagen.audit.read.folder import profile_texts
from mfagen.audit.read.hcl_blocks import heredoc_body

from .cases import EXAMPLES, rendered
from .test_mutations import EQUIVALENT, MUTANTS


def by_full(text: str) -> tuple[profiles.Profile, ...] | None:
    try:
        return profiles.full("profiles/u/config", text)
    except AuditInputError:
        return None


def profile_files(example: str) -> dict[str, str]:
    return {p: t for p, t in rendered(example).items() if p.startswith("profiles/")}


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_reads_every_rendered_file_as_the_full_reader_does(example: str) -> None:
    pieces: profiles_fast.Pieces = {}
    for path, text in profile_files(example).items():
        fast = profiles.fast(text, pieces)
        assert fast is not None, path
        assert fast == profiles.full(path, text), path
        assert all(type(profile) is profiles.Profile for profile in fast)
        assert profiles.fast(text) == fast, path  # with or without the pieces of other files


def test_read_matches_the_full_reader_file_by_file() -> None:
    files = profile_files("large-tier")
    read = profiles.read(files)
    for path, text in files.items():
        assert read[path.split("/")[1]].profiles == profiles.full(path, text)


def test_reads_every_edited_file_as_the_full_reader_does_or_not_at_all() -> None:
    """Every profile file the mutation tests edit: the same reading, or the full reader's."""
    fell_back = 0
    for _, example, mutate, *_ in [*MUTANTS, *EQUIVALENT]:
        before = profile_files(example)
        for path, text in mutate(rendered(example)).items():
            if not path.startswith("profiles/") or before.get(path) == text:
                continue
            fast = profiles.fast(text)
            fell_back += fast is None
            assert fast is None or fast == by_full(text), (example, path)
    assert fell_back >= 1


SEED = rendered("seed")["profiles/my-user-name/config"]
ACCOUNTS = rendered("accounts")["profiles/alice/config"]
COMPANIONS = next(iter(profile_files("per-account").values()))
ROLE = "\n[profile acme-dev-admin]\n"


def test_the_samples_hold_what_the_edits_below_change() -> None:
    for sample in (SEED, ACCOUNTS, COMPANIONS):
        assert profiles.fast(sample) is not None
        assert "\nregion = " in sample
        assert "\nmfa_serial = " in sample
    assert ROLE in ACCOUNTS
    assert "\ncredential_process = " in COMPANIONS


@pytest.mark.parametrize(
    "edited",
    [
        ACCOUNTS.replace("\n", "\r\n"),
        ACCOUNTS.replace(ROLE, "\n# a note\n[profile acme-dev-admin]\n"),
        ACCOUNTS.replace(ROLE, "\n[profile acme-dev-admin]\n# a note\n"),
        ACCOUNTS.replace(ROLE, "\n  # an indented note\n[profile acme-dev-admin]\n"),
        ACCOUNTS.replace(ROLE, "\n\n[profile acme-dev-admin]\n"),
        ACCOUNTS.replace(ROLE, "[profile acme-dev-admin]\n"),
        ACCOUNTS.replace(ROLE, "\n[profile  acme-dev-admin]\n"),
        ACCOUNTS.replace(ROLE, "\n[profile acme-dev-admin ]\n"),
        ACCOUNTS.replace(ROLE, "\n[ profile acme-dev-admin]\n"),
        ACCOUNTS.replace(ROLE, "\n[profile acme-dev-admin] \n"),
        ACCOUNTS.replace(ROLE, "\n[profile acme-dev-admin\u2028]\n"),
        ACCOUNTS.replace(ROLE, "\n[profile acme-dév-admin]\n"),
        ACCOUNTS.replace(ROLE, "\n[profile acme dev-admin]\n"),  # not a profile to botocore
        ACCOUNTS.replace(ROLE, '\n[profile "acme-dev-admin"]\n'),  # shlex drops the quotes
        ACCOUNTS.replace(ROLE, "\n[profile acme-dev-'admin]\n"),
        ACCOUNTS.replace(ROLE, "\n[profile acme\\-dev-admin]\n"),
        ACCOUNTS.replace(ROLE, "\n[profile acme-dev-admin] ; a note\n"),
        ACCOUNTS.replace(ROLE, "\n[DEFAULT]\nregion = x\n[profile acme-dev-admin]\n"),
        ACCOUNTS.replace(ROLE, "\n[default]\n"),
        ACCOUNTS.replace(ROLE, "\n[sso-session acme]\n"),
        ACCOUNTS.replace(ROLE, "\n[profile acme-identity-admin]\n"),  # named twice
        ACCOUNTS.replace(ROLE, "\n[profile acme]\n"),  # the source profile's name
        ACCOUNTS.replace("role_arn = ", "role_arn= ", 1),
        ACCOUNTS.replace("role_arn = ", "role_arn  = ", 1),
        ACCOUNTS.replace("role_arn = ", "role_arn =  ", 1),
        ACCOUNTS.replace("role_arn = ", "Role_Arn = ", 1),
        ACCOUNTS.replace("role_arn = ", "role_arn : ", 1),
        ACCOUNTS.replace("role_arn = ", " role_arn = ", 1),
        ACCOUNTS.replace("source_profile = acme\n", "source_profile = acme \n", 1),
        ACCOUNTS.replace("source_profile = acme\n", "source_profile = acme\t\n", 1),
        ACCOUNTS.replace("source_profile = acme\n", "source_profile = acme\n  continued\n", 1),
        ACCOUNTS.replace("source_profile = acme\n", "source_profile = other\n", 1),
        ACCOUNTS.replace("source_profile = acme\n", "source_profile =\n", 1),
        ACCOUNTS.replace("source_profile = acme\n", "source_profile = \n", 1),
        ACCOUNTS.replace("source_profile = acme\n", "", 1),
        ACCOUNTS.replace("source_profile = acme\n", "source_profile = acme\nregion = x\n", 1),
        ACCOUNTS.replace("source_profile = acme\n", "output = json\nsource_profile = acme\n", 1),
        ACCOUNTS.replace("region = eu-north-1\n", "region = eu-north-1\ncli_pager =\n", 1),
        ACCOUNTS.replace("region = eu-north-1\n", "region = eu-north-1\x0b\n", 1),
        ACCOUNTS.replace("region = eu-north-1\n", "region = eu-north-1\x1f\n", 1),
        ACCOUNTS.replace("region = eu-north-1\n", "region = eu-north-1\x85x\n", 1),
        ACCOUNTS.replace("\nmfa_serial = ", "\nmfa_serial_x = ", 1),
        ACCOUNTS.replace("# AWS", "#\x1cAWS", 1),
        ACCOUNTS.replace("# AWS", "AWS", 1),
        ACCOUNTS[: ACCOUNTS.rindex("\n# <<<")],
        ACCOUNTS + "[profile extra]\nregion = x\n",
        ACCOUNTS + "\x00",
        ACCOUNTS.replace("\nregion = ", "\nregion = \x00", 1),
        COMPANIONS.replace("\ncredential_process = ", "\ncredential_process= ", 1),
        COMPANIONS.replace("-tf]\ncredential_process", "-tf]\nregion = x\ncredential_process", 1),
        COMPANIONS.replace("\n[profile ", "\n[profile x]\nregion = y\n\n[profile ", 3),
        SEED.replace("mfa_serial", "x"),
    ],
)
def test_anything_else_goes_to_the_full_reader(edited: str) -> None:
    assert profiles.fast(edited) is None
    assert profiles.fast(edited, {}) is None


@pytest.mark.parametrize(
    "edited",
    [
        ACCOUNTS.replace("region = eu-north-1", "region = us-east-2"),
        ACCOUNTS.replace("role/mfa/AdminMFARole", "role/other/Role=1,2@x"),
        ACCOUNTS.replace(ROLE, "\n[profile a]b]\n"),
        ACCOUNTS.replace(ROLE, "\n[profile [x]\n"),
        ACCOUNTS.replace("# AWS", "; AWS").replace("# <<<", ";<<<"),
        ACCOUNTS[: ACCOUNTS.rindex("# <<<")],
        ACCOUNTS.replace("# <<<", "\n\n# <<<"),
        ACCOUNTS.replace("# <<< mfagen acme\n", ""),
        ACCOUNTS.replace("# <<< mfagen acme\n", "# <<< mfagen acme"),
        SEED[: SEED.index("\n\n[profile", SEED.index("\n\n[profile") + 1)] + "\n",
    ],
)
def test_hand_edits_in_the_layout_read_as_the_full_reader_reads_them(edited: str) -> None:
    fast = profiles.fast(edited)
    assert fast is not None
    assert fast == by_full(edited)


LINES = [
    "", "# c", "; c", "  # c", "[profile a]", "[profile b]", "[profile a-tf]", "[default]",
    "[profile  a]", "role_arn = arn:x", "source_profile = s", "role_session_name = u",
    "mfa_serial = m", "mfa_serial = n", "region = r", "region = q", "credential_process = c x",
    "region=r", "  cont", "role_arn = ", "x = y", "[profile a b]", '[profile "a"]',
    "[profile a] ; c", "[DEFAULT]", "\r",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(LINES), max_size=30), st.booleans())
def test_any_arrangement_of_lines_reads_the_same_or_falls_back(
    lines: list[str], newline: bool
) -> None:
    text = "\n".join(lines) + ("\n" if newline else "")
    fast = profiles.fast(text)
    assert fast is None or fast == by_full(text)


def test_pieces_are_shared_between_files_and_read_once() -> None:
    pieces: profiles_fast.Pieces = {}
    files = profile_files("large-tier")
    for text in files.values():
        assert profiles.fast(text, pieces) is not None
    assert 0 < len(pieces) < sum(text.count("\n[profile ") for text in files.values())
    assert None not in pieces.values()


def test_the_heredoc_body_is_what_the_expression_captures() -> None:
    old = re.compile(r"<<(-?)([A-Za-z][A-Za-z0-9._-]*)\r?\n(?P<body>.*?)\r?\n?[ \t]*\2\Z", re.S)
    alphabet = ["<<", "-", "EOT", "E", "\r", "\n", " ", "\t", "x", "OT"]
    for length in range(1, 6):
        for parts in itertools.product(alphabet, repeat=length):
            raw = "".join(parts)
            match = old.match(raw)
            assert heredoc_body(raw) == (match["body"] if match else None), repr(raw)


def test_the_profile_folder_reads_as_pathlib_finds_it(tmp_path: Path) -> None:
    root = tmp_path / "profiles"
    for name, content in [("b", "b"), (".hidden", "h"), ("a.b", "ab"), ("a", "a")]:
        (root / name).mkdir(parents=True)
        (root / name / "config").write_text(content)
    (root / "empty").mkdir()
    (root / "file").write_text("not a folder")
    (root / "linked").symlink_to(root / "a")
    (root / "dangling").mkdir()
    (root / "dangling" / "config").symlink_to(root / "missing")
    expected = {
        f"profiles/{path.parent.name}/config": path.read_text()
        for path in sorted(root.glob("*/config"))
        if path.exists()
    }
    assert profile_texts(root, "profiles") == expected
    assert list(profile_texts(root, "profiles") or {}) == list(expected)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_profile_folder_goes_back_to_pathlib(tmp_path: Path) -> None:
    root = tmp_path / "profiles"
    (root / "a").mkdir(parents=True)
    (root / "a" / "config").write_text("x")
    (root / "a" / "config").chmod(0)
    assert profile_texts(root, "profiles") is None


def test_a_profile_config_that_cannot_be_read_goes_back_to_pathlib(tmp_path: Path) -> None:
    root = tmp_path / "profiles"
    (root / "a" / "config").mkdir(parents=True)  # a folder where the file should be
    (root / "b").mkdir()
    (root / "b" / "config").write_bytes(b"\xff")
    assert profile_texts(root, "profiles") is None
    (root / "a" / "config").rmdir()
    assert profile_texts(root, "profiles") is None  # b is not UTF-8
