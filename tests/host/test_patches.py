"""Applying a patch series to a temporary tree: applies, is idempotent, failures explain."""

from pathlib import Path

import pytest

from harness.build import patches
from harness.errors import PatchError

ORIGINAL = "".join(f"line {i}\n" for i in range(1, 21))


def _diff(path: str, old: str, new: str, header: str = "Why: a test patch.\n") -> str:
    import difflib

    body = "".join(
        difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{path}", f"b/{path}")
    )
    return header + "\n" + body


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    t = tmp_path / "tree"
    (t / "src").mkdir(parents=True)
    (t / "src/file.txt").write_text(ORIGINAL)
    return t


def _series(tmp_path: Path, *items: tuple[str, str]) -> Path:
    d = tmp_path / "patches"
    d.mkdir(exist_ok=True)
    for name, text in items:
        (d / name).write_text(text)
    (d / "series").write_text("# our series\n" + "".join(f"{n}\n" for n, _ in items))
    return d


def test_series_applies_in_order_and_is_idempotent(tree: Path, tmp_path: Path):
    step1 = ORIGINAL.replace("line 3\n", "line three\n")
    step2 = step1.replace("line 15\n", "line fifteen\n")
    d = _series(tmp_path, ("0001-three.patch", _diff("src/file.txt", ORIGINAL, step1)),
                ("0002-fifteen.patch", _diff("src/file.txt", step1, step2)))
    assert patches.apply_series(tree, d) == ["0001-three.patch", "0002-fifteen.patch"]
    assert (tree / "src/file.txt").read_text() == step2
    assert patches.apply_series(tree, d) == []
    assert (tree / "src/file.txt").read_text() == step2


def test_appended_patch_is_the_only_one_applied(tree: Path, tmp_path: Path):
    step1 = ORIGINAL.replace("line 3\n", "line three\n")
    d = _series(tmp_path, ("0001-three.patch", _diff("src/file.txt", ORIGINAL, step1)))
    patches.apply_series(tree, d)
    step2 = step1.replace("line 9\n", "line nine\n")
    d = _series(tmp_path, ("0001-three.patch", _diff("src/file.txt", ORIGINAL, step1)),
                ("0002-nine.patch", _diff("src/file.txt", step1, step2)))
    assert not patches.needs_fresh_tree(tree, patches.read_series(d))
    assert patches.apply_series(tree, d) == ["0002-nine.patch"]
    assert (tree / "src/file.txt").read_text() == step2


def test_edited_patch_asks_for_a_fresh_tree(tree: Path, tmp_path: Path):
    step1 = ORIGINAL.replace("line 3\n", "line three\n")
    d = _series(tmp_path, ("0001-three.patch", _diff("src/file.txt", ORIGINAL, step1)))
    patches.apply_series(tree, d)
    other = ORIGINAL.replace("line 3\n", "line THREE\n")
    d = _series(tmp_path, ("0001-three.patch", _diff("src/file.txt", ORIGINAL, other)))
    assert patches.needs_fresh_tree(tree, patches.read_series(d))
    with pytest.raises(PatchError, match="invoke sources --fresh"):
        patches.apply_series(tree, d)


def test_already_present_change_is_skipped_with_a_notice(tree: Path, tmp_path: Path, capsys):
    changed = ORIGINAL.replace("line 3\n", "line three\n")
    (tree / "src/file.txt").write_text(changed)  # e.g. a checkout that has it upstream
    d = _series(tmp_path, ("0001-three.patch", _diff("src/file.txt", ORIGINAL, changed)))
    assert patches.apply_series(tree, d) == ["0001-three.patch"]
    assert (tree / "src/file.txt").read_text() == changed
    out = capsys.readouterr()
    assert "0001-three.patch: tree already contains this change" in out.out + out.err


def test_version_guards_select_patches_per_version(tree: Path, tmp_path: Path):
    old = ORIGINAL.replace("line 3\n", "line three (old)\n")
    new = ORIGINAL.replace("line 3\n", "line three (new)\n")
    d = _series(tmp_path, ("0001-old.patch", _diff("src/file.txt", ORIGINAL, old)))
    (d / "1.26").mkdir()
    (d / "1.26/0001-new.patch").write_text(_diff("src/file.txt", ORIGINAL, new))
    (d / "series").write_text("0001-old.patch <1.26  # rewritten for 1.26\n"
                              "1.26/0001-new.patch >=1.26,<1.28\n")
    assert [p.name for p in patches.read_series(d, "1.25.0")] == ["0001-old.patch"]
    assert [p.name for p in patches.read_series(d, "1.26.1")] == ["1.26/0001-new.patch"]
    assert [p.name for p in patches.read_series(d, "1.27")] == ["1.26/0001-new.patch"]
    assert patches.read_series(d, "1.28.0") == []
    assert patches.apply_series(tree, d, "1.26.1") == ["1.26/0001-new.patch"]
    assert (tree / "src/file.txt").read_text() == new
    with pytest.raises(PatchError, match="version of the tree is unknown"):
        patches.read_series(d)
    (d / "series").write_text("0001-old.patch ~1.26\n")
    with pytest.raises(PatchError, match="series:1: bad version guard '~1.26'"):
        patches.read_series(d, "1.26.1")


def test_failure_says_when_part_of_the_change_is_already_there(tree: Path, tmp_path: Path):
    wanted = ORIGINAL.replace("line 2\n", "line two\n").replace("line 18\n", "line eighteen\n")
    d = _series(tmp_path, ("0001-two-and-eighteen.patch", _diff("src/file.txt", ORIGINAL, wanted)))
    # Upstream made the second change itself and rewrote the start of the file.
    upstream = "".join(f"new {i}\n" for i in range(1, 6)) + ORIGINAL.split("line 5\n", 1)[1]
    (tree / "src/file.txt").write_text(upstream.replace("line 18\n", "line eighteen\n"))
    with pytest.raises(PatchError) as err:
        patches.apply_series(tree, d)
    assert "1 of the 2 failing hunk(s) are already in the tree" in str(err.value)

def test_missing_file_in_series_is_reported(tree: Path, tmp_path: Path):
    d = tmp_path / "patches"
    d.mkdir()
    (d / "series").write_text("0001-gone.patch\n")
    with pytest.raises(PatchError, match="series:1 lists '0001-gone.patch'"):
        patches.apply_series(tree, d)


def test_empty_or_absent_series_applies_nothing(tree: Path, tmp_path: Path):
    assert patches.apply_series(tree, tmp_path / "nothing-here") == []


def test_a_fuzzy_hunk_is_applied_with_a_notice(tree: Path, tmp_path: Path, capsys):
    changed = ORIGINAL.replace("line 10\n", "line ten\n")
    patch = _diff("src/file.txt", ORIGINAL, changed)
    # The tree's context around line 10 moved on a little since the patch was written.
    (tree / "src/file.txt").write_text(ORIGINAL.replace("line 8\n", "line eight\n"))
    d = _series(tmp_path, ("0001-ten.patch", patch))
    assert patches.apply_series(tree, d) == ["0001-ten.patch"]
    assert "line ten\n" in (tree / "src/file.txt").read_text()
    out = capsys.readouterr()
    assert "0001-ten.patch: applied to tree with fuzz: hunk #1 at line 7 (fuzz " in out.out
