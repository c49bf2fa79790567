"""Apply one of our patch series (a folder with a `series` file) to a source tree, idempotently.

The tree records which patches (name and sha256) it carries in `.esp8266-qemu-patches`.
Applying the same series again does nothing; appending patches applies only the new ones. When
an applied patch changed or was removed, `apply_series` reports `needs_fresh_tree` and the
caller re-creates the pristine tree first (see sources.prepare_tree).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness.errors import PatchError

STATE_FILE = ".esp8266-qemu-patches"


@dataclass(frozen=True)
class Patch:
    name: str
    path: Path
    sha256: str


def read_series(patch_dir: Path) -> list[Patch]:
    """Patches listed in `series`, in order (blank lines and # comments ignored)."""
    series = patch_dir / "series"
    if not series.is_file():
        return []
    patches = []
    for lineno, raw in enumerate(series.read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name = line.split()[0]
        path = patch_dir / name
        if not path.is_file():
            raise PatchError(
                f"{series}:{lineno} lists '{name}', but {path} does not exist; "
                "add the file or remove the line"
            )
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        patches.append(Patch(name, path, digest))
    return patches


def applied_state(tree: Path) -> list[dict[str, str]]:
    path = tree / STATE_FILE
    if not path.is_file():
        return []
    try:
        return json.loads(path.read_text())
    except (ValueError, OSError):
        return [{"name": "?", "sha256": "corrupt"}]


def _write_state(tree: Path, patches: list[Patch]) -> None:
    state = [{"name": p.name, "sha256": p.sha256} for p in patches]
    (tree / STATE_FILE).write_text(json.dumps(state, indent=1) + "\n")


def needs_fresh_tree(tree: Path, patches: list[Patch]) -> bool:
    """True when the tree carries a patch that is no longer (or differently) in the series."""
    state = applied_state(tree)
    wanted = [{"name": p.name, "sha256": p.sha256} for p in patches]
    return state != wanted[: len(state)]


def apply_series(tree: Path, patch_dir: Path) -> list[str]:
    """Apply the series of `patch_dir` to `tree`; returns the names newly applied.

    The caller must have checked `needs_fresh_tree` first.
    """
    patches = read_series(patch_dir)
    if needs_fresh_tree(tree, patches):
        raise PatchError(
            f"{tree} carries patches that are not in {patch_dir}/series any more; "
            "re-create the tree (invoke sources --fresh)"
        )
    done = len(applied_state(tree))
    newly = []
    for i, patch in enumerate(patches[done:], start=done):
        _apply_one(tree, patch)
        _write_state(tree, patches[: i + 1])
        newly.append(patch.name)
    return newly


def _run_patch(tree: Path, patch: Patch, *extra: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("patch") is None:
        raise PatchError("the `patch` program is missing: run `invoke setup` (apt: patch)")
    with patch.path.open("rb") as f:
        return subprocess.run(
            ["patch", "-p1", "--forward", "--batch", "--no-backup-if-mismatch", *extra],
            cwd=tree, stdin=f, capture_output=True, text=True,
        )


def _apply_one(tree: Path, patch: Patch) -> None:
    check = _run_patch(tree, patch, "--dry-run")
    if check.returncode == 0:
        result = _run_patch(tree, patch)
        if result.returncode != 0:  # pragma: no cover - dry run passed, real run failed
            raise PatchError(f"patch {patch.path} failed after a clean dry run:\n{result.stdout}")
        return
    reverse = _run_patch(tree, patch, "--dry-run", "--reverse")
    if reverse.returncode == 0:
        # The tree already has this change (e.g. a local checkout that contains it upstream).
        return
    raise PatchError(describe_failure(patch.path, tree, check.stdout + check.stderr))


_FILE_RE = re.compile(r"^(?:checking|patching) file '?([^'\n]+)'?$", re.M)
_HUNK_RE = re.compile(r"^Hunk #(\d+) FAILED at (\d+)", re.M)


def describe_failure(patch_path: Path, tree: Path, output: str) -> str:
    """A message naming the patch, each failing file and hunk, and how to refresh the patch."""
    failures: list[str] = []
    current = "?"
    for line in output.splitlines():
        m = _FILE_RE.match(line)
        if m:
            current = m.group(1)
            continue
        h = _HUNK_RE.match(line)
        if h:
            failures.append(f"{current}: hunk #{h.group(1)} (at line {h.group(2)})")
        elif "can't find file to patch" in line or "No file to patch" in line:
            failures.append(f"{current}: file not found in the tree")
    where = "\n  ".join(failures) if failures else output.strip()[-800:]
    return (
        f"patch {patch_path} does not apply to {tree}:\n  {where}\n"
        "The pinned source changed under it, or the patch was edited. To refresh it:\n"
        f"  1. comment out {patch_path.name} and the patches after it in the series file and run "
        "`invoke sources --fresh`: the tree then holds the patches before it;\n"
        "  2. copy the tree (cp -a TREE a; cp -a TREE b) and make this patch's change in b/ by "
        f"hand (see {patch_path.name});\n"
        f"  3. write it back with `diff -ruN a/ b/ > {patch_path}` (keep its header), restore the "
        "series file and run `invoke sources` again."
    )
