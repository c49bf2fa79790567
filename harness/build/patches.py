"""Apply one of our patch series (a folder with a `series` file) to a source tree, idempotently.

The tree records which patches (name and sha256) it carries in `.esp8266-qemu-patches`.
Applying the same series again does nothing; appending patches applies only the new ones. When
an applied patch changed or was removed, `apply_series` reports `needs_fresh_tree` and the
caller re-creates the pristine tree first (see sources.prepare_tree).

A series line may end in version guards, comma-separated: `1.26/0013-x.patch >=1.26,<1.28`
(`>=`, `>`, `<=`, `<`, `==`; `==1.26` means any 1.26.x). The patch is then applied only to a
tree of those versions. A patch the tree already contains (it reverse-applies) is skipped with
a notice.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness import progress
from harness.errors import PatchError

STATE_FILE = ".esp8266-qemu-patches"


@dataclass(frozen=True)
class Patch:
    name: str
    path: Path
    sha256: str


def read_series(patch_dir: Path, version: str | None = None) -> list[Patch]:
    """Patches listed in `series`, in order (blank lines and # comments ignored), without those
    whose version guards exclude `version` (the version of the tree they go to)."""
    series = patch_dir / "series"
    if not series.is_file():
        return []
    patches = []
    for lineno, raw in enumerate(series.read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, *guards = line.split()
        where = f"{series}:{lineno}"
        if not _guards_admit(guards, version, where):
            continue
        path = patch_dir / name
        if not path.is_file():
            raise PatchError(
                f"{where} lists '{name}', but {path} does not exist; "
                "add the file or remove the line"
            )
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        patches.append(Patch(name, path, digest))
    return patches


_GUARD_RE = re.compile(r"^(>=|<=|==|>|<)(\d+(?:\.\d+)*)$")


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def _guards_admit(guards: list[str], version: str | None, where: str) -> bool:
    conditions = [c for g in guards for c in g.split(",") if c]
    if not conditions:
        return True
    if version is None:
        raise PatchError(f"{where} has version guards ({' '.join(guards)}), but the version of "
                         "the tree is unknown; pass the version to apply this series")
    have = _version_tuple(version)
    for cond in conditions:
        m = _GUARD_RE.match(cond)
        if not m:
            raise PatchError(f"{where}: bad version guard '{cond}'; write e.g. >=1.26 or "
                             "<1.26,>=1.25 (operators >= > <= < ==)")
        op, ref = m.group(1), _version_tuple(m.group(2))
        mine = have[: len(ref)]  # ==1.26 is every 1.26.x, <1.26 every 1.25.x and before
        ok = {">=": mine >= ref, ">": mine > ref, "<=": mine <= ref, "<": mine < ref,
              "==": mine == ref}[op]
        if not ok:
            return False
    return True


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


def apply_series(tree: Path, patch_dir: Path, version: str | None = None) -> list[str]:
    """Apply the series of `patch_dir` (for a tree of `version`) to `tree`; returns the names
    newly applied (or skipped because the tree already has them).

    The caller must have checked `needs_fresh_tree` first.
    """
    patches = read_series(patch_dir, version)
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
        fuzzy = _FUZZ_RE.findall(result.stdout)
        if fuzzy:
            where = ", ".join(f"hunk #{h} at line {line} (fuzz {f})" for h, line, f in fuzzy)
            progress.notice(f"{patch.name}: applied to {tree.name} with fuzz: {where}. Its context "
                            "differs from the tree, so check where it landed (once, a fuzzy "
                            "hunk went into the wrong function) or write a rewrite for this "
                            "version (docs/firmware.md, layout for a version-specific patch).")
        return
    reverse = _run_patch(tree, patch, "--dry-run", "--reverse")
    if reverse.returncode == 0:
        # The tree already has this change (e.g. a newer release that contains it upstream).
        progress.notice(f"{patch.name}: {tree.name} already contains this change (the patch "
                        "reverse-applies); skipped. Guard it in the series file if that holds "
                        "for every tree of this version.")
        return
    raise PatchError(describe_failure(patch.path, tree, check.stdout + check.stderr))


_FUZZ_RE = re.compile(r"^Hunk #(\d+) succeeded at (\d+) with fuzz (\d+)", re.M)
_FILE_RE = re.compile(r"^(?:checking|patching) file '?([^'\n]+)'?$", re.M)
_HUNK_RE = re.compile(r"^Hunk #(\d+) FAILED at (\d+)", re.M)


def _failed_hunks(output: str) -> list[tuple[str, str, str]]:
    """(file, hunk number, line) of each failing hunk in `patch` output; ("file", "", "") for
    a file that is missing."""
    failures: list[tuple[str, str, str]] = []
    current = "?"
    for line in output.splitlines():
        m = _FILE_RE.match(line)
        if m:
            current = m.group(1)
            continue
        h = _HUNK_RE.match(line)
        if h:
            failures.append((current, h.group(1), h.group(2)))
        elif "can't find file to patch" in line or "No file to patch" in line:
            failures.append((current, "", ""))
    return failures


def _hunks_already_there(patch_path: Path, tree: Path,
                         failures: list[tuple[str, str, str]]) -> int:
    """How many failing hunks the tree already holds: their result (context and added lines)
    stands in the file as it is. `patch` cannot tell (a reverse run stops at the first hunk
    that is not applied), so this compares the text."""
    hunks: dict[tuple[str, str], list[str]] = {}
    current, number, result = "", 0, None
    for raw in patch_path.read_text(errors="replace").splitlines():
        if raw.startswith("+++ "):
            current = raw[4:].split("\t")[0].split("/", 1)[-1]
            number = 0
        elif raw.startswith("@@"):
            number += 1
            result = hunks.setdefault((current, str(number)), [])
        elif result is not None and raw[:1] in (" ", "+"):
            result.append(raw[1:])
    found = 0
    for file, number, _ in failures:
        block = hunks.get((file, number))
        path = tree / file
        if not block or not path.is_file():
            continue
        text = path.read_text(errors="replace").splitlines()
        n = len(block)
        if any(text[i:i + n] == block for i in range(len(text) - n + 1)):
            found += 1
    return found


def describe_failure(patch_path: Path, tree: Path, output: str) -> str:
    """A message naming the patch, each failing file and hunk, whether the tree already holds
    part of the change or has diverged, and how to refresh the patch."""
    failures = _failed_hunks(output)
    lines = [f"{f}: hunk #{n} (at line {at})" if n else f"{f}: file not found in the tree"
             for f, n, at in failures]
    where = "\n  ".join(lines) if lines else output.strip()[-800:]
    verdict = ""
    if failures:
        present = _hunks_already_there(patch_path, tree, failures)
        if present:
            verdict = (
                f"{present} of the {len(failures)} failing hunk(s) are already in the tree: it "
                "may hold an equivalent change. If all of the change is there, guard this patch "
                "off for this version in the series file (e.g. `<1.27`); otherwise refresh it.\n"
            )
        else:
            verdict = ("None of the failing hunks is in the tree: the code they change has "
                       "diverged from what the patch expects.\n")
    return (
        f"patch {patch_path} does not apply to {tree}:\n  {where}\n{verdict}"
        "The pinned source changed under it, or the patch was edited. To refresh it:\n"
        f"  1. comment out {patch_path.name} and the patches after it in the series file and run "
        "`invoke sources --fresh`: the tree then holds the patches before it;\n"
        "  2. copy the tree (cp -a TREE a; cp -a TREE b) and make this patch's change in b/ by "
        f"hand (see {patch_path.name});\n"
        f"  3. write it back with `diff -ruN a/ b/ > {patch_path}` (keep its header), restore the "
        "series file and run `invoke sources` again."
    )
