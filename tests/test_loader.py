"""The safe, position-tracking YAML loader: what it accepts, what it refuses, and where."""

from __future__ import annotations

from pathlib import Path

import pytest

from mfagen import loader
from mfagen.errors import ConfigError, Problem


def load(text: str) -> loader.Document:
    return loader.load_bytes(text.encode(), "t.yaml")


def refusal(source: str | bytes) -> Problem:
    raw = source.encode() if isinstance(source, str) else source
    with pytest.raises(ConfigError) as caught:
        loader.load_bytes(raw, "t.yaml")
    [problem] = caught.value.problems
    return problem


# --- positions ---------------------------------------------------------------------------


def test_every_key_and_value_has_its_line_and_column() -> None:
    document = load(
        "version: 1\n"
        "accounts:\n"
        "  dev:\n"
        '    id: "222222222222"\n'
        "tiers: {admin: {accounts: [dev, prod]}}\n"
    )
    assert document.data["accounts"] == {"dev": {"id": "222222222222"}}
    assert document.keys[("accounts", "dev", "id")] == (4, 5)
    assert document.values[("accounts", "dev", "id")] == (4, 9)
    assert document.keys[("tiers", "admin")] == (5, 9)
    assert document.values[("tiers", "admin", "accounts", 1)] == (5, 33)


def test_position_of_a_missing_path_is_its_nearest_parent() -> None:
    document = load("version: 1\naccounts:\n  dev: {region: eu-west-1}\n")
    assert document.position(("accounts", "dev", "id")) == (3, 8)
    assert document.position(("accounts", "dev"), of_key=True) == (3, 3)
    assert document.position(("nothing", "here")) == (1, 1)


def test_problem_carries_file_position_and_dotted_field() -> None:
    document = load("users:\n  alice:\n    tiers: [admn]\n")
    problem = document.problem(("users", "alice", "tiers", 0), "unknown tier", "did you mean?")
    assert problem == Problem(
        "t.yaml", 3, 13, "users.alice.tiers[0]", "unknown tier", "did you mean?"
    )


@pytest.mark.parametrize(
    ("loc", "text"),
    [
        ((), "(top level)"),
        (("accounts", "dev", "id"), "accounts.dev.id"),
        (("tiers", "admin", "statements", 0, "sid"), "tiers.admin.statements[0].sid"),
        (("users", "carol.smith@acme", "tiers"), 'users["carol.smith@acme"].tiers'),
        (("users", ".."), 'users[".."]'),
        (("tiers", "data eng"), 'tiers["data eng"]'),
        (("conditions", "Bool", "aws:SecureTransport"), "conditions.Bool.aws:SecureTransport"),
    ],
)
def test_dotted_names_a_path_unambiguously(loc: loader.Loc, text: str) -> None:
    assert loader.dotted(loc) == text


def test_the_source_text_of_non_strings_is_kept() -> None:
    document = load("accounts:\n  dev: {id: 011111111111}\n  prod: {id: 0x1F}\n")
    assert document.data["accounts"]["dev"]["id"] == 0o11111111111
    assert document.sources[("accounts", "dev", "id")] == "011111111111"
    assert document.sources[("accounts", "prod", "id")] == "0x1F"


# --- duplicate keys ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "position", "field"),
    [
        ("version: 1\nversion: 1\n", (2, 1), "version"),
        ("accounts:\n  dev: {}\n  dev: {}\n", (3, 3), "accounts.dev"),
        ('accounts:\n  dev:\n    id: "1"\n    id: "2"\n', (4, 5), "accounts.dev.id"),
        ("tiers: {admin: {preset: admin, preset: s3}}\n", (1, 32), "tiers.admin.preset"),
        ("t:\n  - sid: A\n    sid: B\n", (3, 5), "t[0].sid"),
        ('users:\n  alice: {}\n  "alice": {}\n', (3, 3), "users.alice"),
        ("c:\n  Bool:\n    aws:X: a\n    aws:X: b\n", (4, 5), "c.Bool.aws:X"),
    ],
    ids=["top", "account", "account-key", "flow", "list-item", "quoted", "condition"],
)
def test_duplicate_keys_are_problems_at_every_level(
    text: str, position: tuple[int, int], field: str
) -> None:
    document = load(text)
    [problem] = document.problems
    assert (problem.line, problem.column, problem.field) == (*position, field)
    assert problem.message.startswith(f"duplicate key {field.rsplit('.', 1)[-1]!r}")
    assert problem.hint == "YAML would silently keep only the last one: remove one of them"
    assert [loader.dotted(loc) for loc in document.doubtful] == [field]


def test_duplicate_key_message_names_the_first_line() -> None:
    [problem] = load("a: 1\nb: 2\na: 3\n").problems
    assert problem.message == "duplicate key 'a' (first defined on line 1)"


def test_the_first_value_is_kept_and_the_later_one_set_aside_with_its_positions() -> None:
    document = load("a: {x: 1}\nb: [2]\na:\n  y: [3, 4]\n")
    assert document.data == {"a": {"x": 1}, "b": [2]}
    assert ("a", "y") not in document.values
    [aside] = document.set_aside
    assert aside.data == {"a": {"y": [3, 4]}}
    assert aside.position(("a", "y", 1)) == (4, 10)
    assert aside.position(("a",), of_key=True) == (3, 1)


def test_a_key_written_twice_in_a_value_set_aside_is_found_too() -> None:
    document = load("a: 1\na: {x: 1, x: 2}\nb: 1\nb: 2\n")
    assert [(p.line, p.field) for p in document.problems] == [(2, "a"), (2, "a.x"), (4, "b")]
    assert document.doubtful == {("a",), ("a", "x"), ("b",)}


# --- merge keys --------------------------------------------------------------------------


def test_merge_keys_fill_in_what_the_mapping_does_not_say() -> None:
    document = load("base: &base {region: eu-west-1, id: '1'}\ndev:\n  <<: *base\n  id: '2'\n")
    assert document.data["dev"] == {"id": "2", "region": "eu-west-1"}
    assert document.values[("dev", "id")] == (4, 7)
    assert document.values[("dev", "region")] == (1, 22), "a merged value points at its source"


def test_in_a_list_of_merges_the_first_source_wins() -> None:
    document = load("a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc: {<<: [*a, *b]}\n")
    assert document.data["c"] == {"x": 1, "y": 2}


def test_merges_of_merges_are_followed() -> None:
    document = load("a: &a {x: 1, y: 1}\nb: &b {<<: *a, y: 2}\nc: {<<: *b, z: 3}\n")
    assert document.data["c"] == {"x": 1, "y": 2, "z": 3}


@pytest.mark.parametrize("value", ["1", "[a, b]", "[{a: 1}, x]"])
def test_a_merge_of_something_else_than_a_mapping_is_refused(value: str) -> None:
    problem = refusal(f"t:\n  <<: {value}\n")
    assert problem.field == "t.<<"
    assert problem.message == "a merge key '<<' needs a mapping (or a list of mappings)"
    assert problem.hint == "merge an anchored mapping: <<: *name"


# --- tags --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ('!!python/object/apply:os.system ["touch {marker}"]', "!!python/object/apply:os.system"),
        ("!!python/object/apply:os.system\n  args: ['touch {marker}']", None),
        ("!!python/object/new:pathlib.Path ['{marker}']", "!!python/object/new:pathlib.Path"),
        ("!!python/name:os.system", "!!python/name:os.system"),
        ("!!python/tuple [a, b]", "!!python/tuple"),
        ("!!set {a, b}", "!!set"),
        ("!!omap [a: 1]", "!!omap"),
        ("!Ref AdminPolicy", "!Ref"),
        ("!GetAtt [Role, Arn]", "!GetAtt"),
    ],
)
def test_tags_are_refused_and_never_run(
    value: str, shown: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "ran"

    def forbidden(*args: object) -> int:
        raise AssertionError("the loader ran code from a tag")

    monkeypatch.setattr("os.system", forbidden)
    problem = refusal("organization: " + value.replace("{marker}", str(marker)) + "\n")
    assert (problem.line, problem.column, problem.field) == (1, 15, "organization")
    assert (
        problem.message
        == f"the YAML tag {shown or '!!python/object/apply:os.system'} is not allowed"
    )
    assert problem.hint == "accounts.yaml holds plain values only; remove the tag"
    assert not marker.exists()


@pytest.mark.parametrize(
    ("value", "expected"),
    [("!!str 123", "123"), ("!!int '7'", 7), ("!!bool 'true'", True), ("'!Ref x'", "!Ref x")],
)
def test_the_standard_scalar_tags_are_plain_values(value: str, expected: object) -> None:
    assert load(f"a: {value}\n").data["a"] == expected


# --- aliases -----------------------------------------------------------------------------


def _billion_laughs() -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_fast_without_building_its_expansion(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def build(*args: object) -> None:
        raise AssertionError("the loader started building the expansion")

    monkeypatch.setattr(loader._Builder, "build", build)
    problem = refusal(_billion_laughs())
    assert (problem.line, problem.field) == (6, "a5")
    assert problem.message == "the document expands to more than 1,000,000 values"
    assert problem.hint == "YAML aliases (*name) that repeat each other blow up; write values out"


def test_aliases_that_stay_small_are_expanded() -> None:
    document = load("a: &a [x, y]\nb: [*a, *a]\n")
    assert document.data["b"] == [["x", "y"], ["x", "y"]]


def test_an_alias_inside_its_own_value_is_refused() -> None:
    problem = refusal("a: &loop {b: [*loop]}\n")
    assert (problem.field, problem.message) == (
        "a.b[0]",
        "a YAML alias (*name) repeats a value that contains it",
    )


def test_deep_nesting_is_refused() -> None:
    depth = loader.MAX_DEPTH + 1
    problem = refusal("a: " + "[" * depth + "]" * depth + "\n")
    assert problem.field == "a[0][0]"
    assert problem.message == f"nested more than {loader.MAX_DEPTH} levels deep"
    load("a: " + "[" * (depth - 2) + "]" * (depth - 2) + "\n")


def test_nesting_beyond_libyamls_limit_is_a_syntax_error() -> None:
    problem = refusal("a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert problem.field == "(syntax)"


# --- keys that are not names -------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "kind", "field"),
    [
        ("no", "a boolean", "users.no"),
        ("yes", "a boolean", "users.yes"),
        ("on", "a boolean", "users.on"),
        ("007", "an integer", "users.007"),
        ("1.5", "a number", 'users["1.5"]'),
        ("~", "nothing (null)", 'users["~"]'),
        ("2024-01-01", "a date", "users.2024-01-01"),
    ],
)
def test_a_key_yaml_reads_as_something_else_than_a_string_is_refused(
    key: str, kind: str, field: str
) -> None:
    problem = refusal(f"users:\n  {key}: {{}}\n")
    assert (problem.line, problem.column, problem.field) == (2, 3, field)
    assert problem.message == f"the key {key} reads as {kind}, not a name"
    assert problem.hint == f'quote it: "{key}"'


def test_quoted_keys_are_names() -> None:
    assert load('users: {"no": {}, "007": {}}\n').data["users"] == {"no": {}, "007": {}}


@pytest.mark.parametrize(
    ("text", "kind"), [("[a, b]: 1", "a list"), ("? {a: 1}\n: 1", "a mapping")]
)
def test_a_collection_as_key_is_refused(text: str, kind: str) -> None:
    problem = refusal(f"version: 1\n{text}\n")
    assert (problem.line, problem.field, problem.message) == (
        2,
        "(top level)",
        f"a key is {kind}, not a name",
    )


# --- what the file holds -----------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n\n", "# only\n  # comments\n"])
def test_an_empty_file_is_refused(text: str) -> None:
    problem = refusal(text)
    assert (problem.line, problem.column, problem.field) == (1, 1, "(top level)")
    assert (problem.message, problem.hint) == ("the file is empty", "start with 'version: 1'")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("- version: 1\n", "a list"),
        ("acme\n", "a string"),
        ("42\n", "an integer"),
        ("~\n", "nothing (null)"),
    ],
)
def test_the_top_level_must_be_a_mapping(text: str, kind: str) -> None:
    problem = refusal(text)
    assert problem.field == "(top level)"
    assert problem.message == f"expected a mapping of settings, got {kind}"


def test_a_utf8_byte_order_mark_is_accepted() -> None:
    assert load("\ufeffversion: 1\n").data == {"version": 1}


def test_bytes_that_are_not_utf8_are_refused_where_they_are() -> None:
    problem = refusal(b"version: 1\ndescription: caf\xe9\n")
    assert (problem.line, problem.column, problem.field) == (2, 17, "(file)")
    assert problem.message == "not UTF-8: byte 0xe9 cannot be decoded"
    assert problem.hint == "save the file as UTF-8"


def test_a_utf16_file_is_recognised() -> None:
    problem = refusal("version: 1\n".encode("utf-16"))
    assert problem.hint == "the file is UTF-16: save it as UTF-8"


def test_a_nul_character_is_refused_where_it_is() -> None:
    problem = refusal(b"version: 1\norganization: ac\x00me\n")
    assert (problem.line, problem.column, problem.message) == (2, 17, "contains a NUL character")
    assert "UTF-16" in problem.hint


def test_a_control_character_is_refused_where_it_is() -> None:
    problem = refusal("version: 1\norganization: ac\x07me\n")
    assert (problem.line, problem.column, problem.field) == (2, 17, "(syntax)")
    assert problem.message == "not valid YAML: control character U+0007 is not allowed"


@pytest.mark.parametrize(
    ("text", "position"),
    [("accounts:\n\tdev: {}\n", (2, 1)), ("accounts:\n  dev:\n  \tid: '1'\n", (3, 3))],
)
def test_tabs_for_indentation_get_their_own_hint(text: str, position: tuple[int, int]) -> None:
    problem = refusal(text)
    assert (problem.line, problem.column, problem.field) == (*position, "(syntax)")
    assert problem.message == "not valid YAML: a tab in the indentation"
    assert problem.hint == "YAML forbids tabs for indentation: use spaces"


def test_a_tab_after_a_colon_is_fine() -> None:
    assert load("version:\t1\n").data == {"version": 1}


@pytest.mark.parametrize(
    ("text", "position", "message", "hint"),
    [
        (
            "a: 1\n---\nb: 2\n",
            (2, 1),
            "a second document starts here",
            "accounts.yaml holds one YAML document: remove this '---' or what follows it",
        ),
        (
            "a: *nowhere\n",
            (1, 4),
            "undefined alias *nowhere",
            "an alias (*name) must come after its anchor (&name) in the file",
        ),
        (
            "a: &x 1\nb: &x 2\n",
            (2, 4),
            "the anchor is defined twice (first on line 1)",
            "give each anchor (&name) its own name",
        ),
        (
            'a: 1\nb: "open\nc: 2\n',
            (2, 4),
            "this quoted string is never closed",
            "add the closing quote",
        ),
        (
            "a: {b: 1\nc: 2\n",
            (2, 2),
            "did not find expected ',' or '}'",
            "check the brackets opened on line 1: a ',' or a closing bracket is missing",
        ),
        (
            "a:\n  b: 1\n c: 2\n",
            (3, 2),
            "did not find expected key",
            "check the indentation and quoting around this position",
        ),
    ],
    ids=[
        "two-documents",
        "undefined-alias",
        "duplicate-anchor",
        "open-quote",
        "open-brace",
        "indent",
    ],
)
def test_syntax_errors_say_where_and_what_to_do(
    text: str, position: tuple[int, int], message: str, hint: str
) -> None:
    problem = refusal(text)
    assert (problem.line, problem.column, problem.field) == (*position, "(syntax)")
    assert (problem.message, problem.hint) == (f"not valid YAML: {message}", hint)


# --- files -------------------------------------------------------------------------------


def test_load_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text("version: 1\n")
    assert loader.load_file(path).file == str(path)


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        loader.load_file(tmp_path / "nope.yaml")
    assert caught.value.problems == (
        Problem(
            str(tmp_path / "nope.yaml"),
            1,
            1,
            "(file)",
            "no such file",
            "check the path, or pass the accounts file: mfagen validate PATH",
        ),
    )


def test_a_folder_is_not_readable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        loader.load_file(tmp_path)
    assert caught.value.problems[0].message == "cannot read: Is a directory"


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (True, "a boolean"),
        (1, "an integer"),
        (1.5, "a number"),
        ("x", "a string"),
        ([], "a list"),
        ({}, "a mapping"),
        (None, "nothing (null)"),
        (b"x", "binary data"),
    ],
)
def test_type_names_speak_yaml(value: object, name: str) -> None:
    assert loader.type_name(value) == name
