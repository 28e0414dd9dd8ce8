from __future__ import annotations

import errno
from pathlib import Path

import pytest

from mfagen import transaction, writer
from mfagen.errors import OutputError

FILES = writer.with_manifest({"terraform/a.tf": b"a\n", "profiles/alice/config": b"alice\n"})


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_write_creates_files_and_a_manifest(tmp_path: Path) -> None:
    out = tmp_path / "output"
    result = writer.write(out, FILES)
    assert result.written == (".mfagen-manifest", "profiles/alice/config", "terraform/a.tf")
    tree = _tree(out)
    assert tree["terraform/a.tf"] == b"a\n"
    manifest = tree[writer.MANIFEST].decode()
    assert manifest.splitlines()[-2:] == ["profiles/alice/config", "terraform/a.tf"]
    assert writer.diff(out, FILES) == []


def test_second_write_changes_nothing(tmp_path: Path) -> None:
    writer.write(tmp_path, FILES)
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    result = writer.write(tmp_path, FILES)
    assert result.written == ()
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")} == before


def test_stale_files_are_removed_with_their_empty_folders(tmp_path: Path) -> None:
    writer.write(tmp_path, FILES)
    (tmp_path / "mine.txt").write_text("user file")
    result = writer.write(tmp_path, writer.with_manifest({"terraform/a.tf": b"a\n"}))
    assert result.removed == ("profiles/alice/config",)
    assert not (tmp_path / "profiles").exists()
    assert (tmp_path / "mine.txt").read_text() == "user file"


def test_diff_names_changed_missing_and_stale(tmp_path: Path) -> None:
    writer.write(tmp_path, FILES)
    (tmp_path / "terraform/a.tf").write_bytes(b"edited\n")
    new = writer.with_manifest({"terraform/a.tf": b"a\n", "profiles/bob/config": b"bob\n"})
    kinds = {(c.path, c.kind) for c in writer.diff(tmp_path, new)}
    assert kinds == {
        ("terraform/a.tf", "changed"),
        ("profiles/bob/config", "missing"),
        ("profiles/alice/config", "stale"),
        (writer.MANIFEST, "changed"),
    }


def test_refuses_to_overwrite_a_file_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "terraform").mkdir()
    (tmp_path / "terraform/a.tf").write_bytes(b"hand written\n")
    with pytest.raises(OutputError, match="not written by mfagen"):
        writer.write(tmp_path, FILES)
    assert (tmp_path / "terraform/a.tf").read_bytes() == b"hand written\n"
    assert not (tmp_path / writer.MANIFEST).exists()
    assert not (tmp_path / "profiles").exists()


def test_manifest_entries_outside_the_folder_are_ignored(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / "out"
    out.mkdir()
    (out / writer.MANIFEST).write_text("../victim.txt\n/etc/passwd\nterraform/a.tf\n")
    writer.write(out, writer.with_manifest({"profiles/x/config": b"x\n"}))
    assert victim.read_text() == "keep me"


def test_output_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "output"
    target.write_text("not a folder")
    with pytest.raises(OutputError, match="is not a folder"):
        writer.write(target, FILES)


def test_symlink_pointing_outside_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "terraform").symlink_to(outside)
    with pytest.raises(OutputError, match="outside the output folder"):
        writer.write(out, FILES)
    assert list(outside.iterdir()) == []


def test_a_failed_write_changes_nothing(tmp_path: Path) -> None:
    writer.write(tmp_path, FILES)
    (tmp_path / "terraform/a.tf").unlink()
    (tmp_path / "terraform").rmdir()
    (tmp_path / "terraform").write_text("a file where a folder belongs")
    before = _tree(tmp_path)
    changed = writer.with_manifest({"profiles/alice/config": b"new\n", "terraform/a.tf": b"new\n"})
    with pytest.raises(OutputError, match="cannot write"):
        writer.write(tmp_path, changed)
    assert _tree(tmp_path) == before


def test_no_temporary_files_are_left_behind(tmp_path: Path) -> None:
    writer.write(tmp_path, FILES)
    writer.write(tmp_path, {k: v + b"more\n" for k, v in FILES.items()})
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


def _writable_despite_permissions(folder: Path) -> bool:
    """Root (as in many containers) writes through any mode bits."""
    probe = folder / "probe"
    try:
        probe.write_text("")
    except PermissionError:
        return False
    probe.unlink()
    return True


def test_an_unwritable_folder_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "out"
    writer.write(out, FILES)
    before = _tree(out)
    (out / "profiles").chmod(0o555)
    try:
        if _writable_despite_permissions(out / "profiles"):
            pytest.skip("running as root: mode bits do not stop writes")
        new = writer.with_manifest({**FILES, "profiles/bob/config": b"bob\n"})
        with pytest.raises(OutputError, match="cannot write: Permission denied"):
            writer.write(out, new)
    finally:
        (out / "profiles").chmod(0o755)
    assert _tree(out) == before
    assert not [p for p in out.rglob("*") if p.name.endswith(transaction.TEMP_SUFFIX)]


def test_a_write_denied_midway_is_refused_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the test above, where root ignores mode bits: the second staged file is denied."""
    writer.write(tmp_path, FILES)
    before = _tree(tmp_path)
    real, calls = transaction._temporary, []

    def denied_on_second(target: Path, content: bytes) -> Path:
        calls.append(target)
        if len(calls) == 2:
            raise PermissionError(errno.EACCES, "Permission denied", str(target))
        return real(target, content)

    monkeypatch.setattr(transaction, "_temporary", denied_on_second)
    changed = {path: content + b"changed\n" for path, content in FILES.items()}
    with pytest.raises(OutputError, match="cannot write: Permission denied") as caught:
        writer.write(tmp_path, writer.with_manifest(changed))
    assert caught.value.hint == "check the folder and its permissions"
    assert _tree(tmp_path) == before
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(transaction.TEMP_SUFFIX)]
