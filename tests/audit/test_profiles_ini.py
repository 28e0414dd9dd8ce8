"""The profile reader reads AWS config files as botocore does: same sections, keys, profiles
and refusals, on generated files and on the cases that once told them apart."""

from __future__ import annotations

import configparser
import io
from pathlib import Path

import botocore.configloader  # type: ignore[import-untyped]
import pytest
from botocore.exceptions import ConfigParseError  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from mfagen.audit import AuditInputError, audit_files
from mfagen.audit.read import profiles, profiles_ini
from mfagen.audit.read.profiles_ini import IniError, Section

from .cases import rendered

LINES = [
    "", "   ", "# c", "; c", "   # c", "[profile a]", "[profile a] ; note", "[profile b]  # note",
    "[ profile c ]", '[profile "d e"]', "[profile f g]", "[profile 'h]", "[profilex i]",
    "[profile]", "[default]", "[DEFAULT]", "[profile default]", "[sso-session s]", "[a]b]",
    "  [profile a]", "[", "[]", "x", "= v", ": v", "region = r", "Region: q", "region=",
    "role_arn=arn:aws:iam::1:role/x", "mfa_serial = m ; no comment", "s3 =", "  k = v",
    "  k2=v2", "  bad", "\tindented = tab", "source_profile = a\x85b", "output = json\u2028",
    "cli_pager = \x0c",
]  # fmt: skip
ENDINGS = ["\n", "\r\n", "\r"]


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("botocore") / "config"


def by_botocore(path: Path, text: str) -> tuple[dict[str, object], dict[str, object]] | None:
    """botocore's raw sections and profiles of `text` as a file, or None when it refuses it."""
    path.write_text(text, encoding="utf-8", newline="")  # the line ends as written
    try:
        raw = botocore.configloader.raw_config_parse(str(path))
        return raw, botocore.configloader.load_config(str(path))["profiles"]
    except ConfigParseError:
        return None


def by_reader(text: str) -> tuple[dict[str, object], dict[str, object]] | None:
    try:
        sections, found = profiles_ini.sections(text), profiles_ini.profiles(text)
    except IniError:
        return None
    return {s.name: s.values for s in sections}, {p.name: p.values for p in found}


def lines_of(text: str) -> list[str]:
    """The lines of `text` as a text file yields them, without their ends."""
    return io.StringIO(text, newline=None).read().split("\n")


def assert_headers_at_their_lines(text: str) -> None:
    """Each section's line is a header naming it, as configparser matches headers."""
    lines = lines_of(text)
    for section in profiles_ini.sections(text):
        found = configparser.RawConfigParser.SECTCRE.match(lines[section.line - 1].strip())
        assert found is not None, section
        assert found["header"] == section.name, section


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(LINES), max_size=25), st.sampled_from(ENDINGS), st.booleans())
def test_any_file_reads_as_botocore_reads_it(
    config_file: Path, lines: list[str], ending: str, last: bool
) -> None:
    text = ending.join(lines) + (ending if last else "")

    expected, read = by_botocore(config_file, text), by_reader(text)

    assert read == expected
    if read is not None and expected is not None:
        assert list(read[1]) == list(expected[1])  # the profiles in botocore's order
        assert_headers_at_their_lines(text)


def refused_at(text: str) -> int | None:
    """The line the reader names in refusing `text`, or None when it reads it."""
    try:
        profiles_ini.sections(text)
    except IniError as error:
        return error.line
    return None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(LINES), max_size=25))
def test_a_refusal_names_the_line_configparser_names(config_file: Path, lines: list[str]) -> None:
    text = "\n".join(lines)
    line = refused_at(text)
    config_file.write_text(text, encoding="utf-8")
    if line is None:
        botocore.configloader.load_config(str(config_file))
        return
    with pytest.raises(ConfigParseError) as refused:
        botocore.configloader.load_config(str(config_file))
    cause = refused.value.kwargs["error"]
    if isinstance(
        cause,
        configparser.MissingSectionHeaderError
        | configparser.DuplicateSectionError
        | configparser.DuplicateOptionError,
    ):
        assert line == cause.lineno
    elif isinstance(cause, configparser.ParsingError):
        assert line == cause.errors[0][0]
    else:  # a nested value: botocore names no line; the reader names its section's
        assert lines_of(text)[line - 1].lstrip().startswith("[")


def test_a_comment_after_a_header_is_part_of_no_name() -> None:
    text = "# note\n[profile x] ; mine\nregion = eu-west-1\n\n[default]\nregion = q\n"

    assert profiles_ini.profiles(text) == [
        Section("x", 2, {"region": "eu-west-1"}),
        Section("default", 5, {"region": "q"}),
    ]


def test_default_keys_reach_every_section_and_a_later_profile_wins() -> None:
    text = (
        "[default]\nregion = a\n[DEFAULT]\noutput = json\n"
        '[profile "b c"]\nregion = b\n[profile default]\nregion = d\n[profile e f]\n'
    )

    assert profiles_ini.profiles(text) == [
        Section("default", 7, {"region": "d", "output": "json"}),
        Section("b c", 5, {"region": "b", "output": "json"}),
    ]


def test_a_value_on_the_lines_under_its_key_is_nested() -> None:
    text = "[profile a]\ns3 =\n  max_concurrent_requests = 10\n\n  addressing_style=path\n"

    [section] = profiles_ini.sections(text)

    assert section.values == {"s3": {"max_concurrent_requests": "10", "addressing_style": "path"}}


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("[a]\nk = 1\n[a]\n", 3, "section [a] appears twice"),
        ("[a]\nk = 1\nK : 2\n", 3, "key 'k' appears twice in [a]"),
        ("\nk = 1\n", 2, "'k = 1' comes before any [section]"),
        ("[a]\nk = 1\r\nnot a setting\n", 3,
         "'not a setting' is neither a [section], a key = value nor a comment"),
        ("[a]\n\ns3 =\n  k = v\n  bad\n", 1, "[a] s3: 'bad' under it is not a key = value setting"),
    ],
)  # fmt: skip
def test_what_botocore_refuses_is_named_with_its_line(text: str, line: int, reason: str) -> None:
    with pytest.raises(IniError) as refused:
        profiles_ini.sections(text)

    assert (refused.value.line, refused.value.reason) == (line, reason)


SAMPLE = rendered("accounts")["profiles/alice/config"]
ROLE = "\n[profile acme-dev-admin]\n"


def test_the_audit_reads_a_note_after_a_profiles_header() -> None:
    files = rendered("accounts")
    assert ROLE in SAMPLE
    noted = SAMPLE.replace(ROLE, "\n[profile acme-dev-admin] ; the dev account\n")

    assert profiles.full("profiles/alice/config", noted) == profiles.full(
        "profiles/alice/config", SAMPLE
    )
    report = audit_files({**files, "profiles/alice/config": noted}, "output")
    assert report == audit_files(files, "output")


def test_the_audit_names_the_line_botocore_refuses() -> None:
    broken = SAMPLE.replace(ROLE, f"{ROLE}region = eu-west-1\n", 1)
    line = lines_of(broken).index("[profile acme-dev-admin]") + 7  # past its five keys

    with pytest.raises(AuditInputError) as refused:
        profiles.full("profiles/alice/config", broken)

    assert (refused.value.path, refused.value.line) == ("profiles/alice/config", line)
    assert refused.value.message == (
        "botocore cannot read this file: key 'region' appears twice in [profile acme-dev-admin]"
    )
    assert refused.value.hint == profiles.UNREADABLE


def test_a_key_the_audit_reads_as_nested_settings_is_refused() -> None:
    text = "[profile a]\nregion =\n  eu-west-1 = x\n"

    with pytest.raises(AuditInputError) as refused:
        profiles.full("profiles/u/config", text)

    error = refused.value
    assert (error.path, error.line, error.message, error.hint) == (
        "profiles/u/config",
        1,
        "profile a: botocore reads region as nested settings, not a value",
        "write region = VALUE on one line",
    )
