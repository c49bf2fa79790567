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


def test_already_present_change_is_skipped(tree: Path, tmp_path: Path):
    changed = ORIGINAL.replace("line 3\n", "line three\n")
    (tree / "src/file.txt").write_text(changed)  # e.g. a checkout that has it upstream
    d = _series(tmp_path, ("0001-three.patch", _diff("src/file.txt", ORIGINAL, changed)))
    assert patches.apply_series(tree, d) == ["0001-three.patch"]
    assert (tree / "src/file.txt").read_text() == changed


def test_failing_hunk_names_patch_file_and_hunk(tree: Path, tmp_path: Path):
    good = ORIGINAL.replace("line 2\n", "line two\n")
    wanted = good.replace("line 18\n", "line eighteen\n")
    d = _series(tmp_path, ("0001-two-and-eighteen.patch", _diff("src/file.txt", ORIGINAL, wanted)))
    # The pinned source moved under the patch: the second hunk's context is gone.
    (tree / "src/file.txt").write_text(
        ORIGINAL.replace("line 17\n", "changed 17\n").replace("line 19\n", "changed 19\n")
    )
    with pytest.raises(PatchError) as err:
        patches.apply_series(tree, d)
    message = str(err.value)
    assert "0001-two-and-eighteen.patch does not apply" in message
    assert "src/file.txt: hunk #" in message
    assert "diff -ruN a/ b/" in message and "invoke sources --fresh" in message
    assert patches.applied_state(tree) == []  # nothing recorded as applied


def test_missing_file_in_series_is_reported(tree: Path, tmp_path: Path):
    d = tmp_path / "patches"
    d.mkdir()
    (d / "series").write_text("0001-gone.patch\n")
    with pytest.raises(PatchError, match="series:1 lists '0001-gone.patch'"):
        patches.apply_series(tree, d)


def test_empty_or_absent_series_applies_nothing(tree: Path, tmp_path: Path):
    assert patches.apply_series(tree, tmp_path / "nothing-here") == []
