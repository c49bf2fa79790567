"""The README's quick start and CI run the same two commands."""

import re

from harness.paths import REPO_ROOT


def _commands(text: str) -> list[str]:
    return [ln.split("#", 1)[0].strip() for ln in text.splitlines()
            if ln.strip() and not ln.strip().startswith("#")]


def test_ci_runs_exactly_the_readme_quick_start():
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "README's quick start has no ```sh block"
    quick = _commands(block.group(1))
    assert len(quick) == 2, "the quick start is two commands"

    ci = (REPO_ROOT / "ci/run.sh").read_text()
    inner = ci.split("# --- quick start", 1)[1].split("# --- end quick start", 1)[0]
    assert _commands(inner.split("\n", 1)[1]) == quick


def test_ci_entry_point_calls_the_ci_script():
    assert "ci/run.sh" in (REPO_ROOT / ".ci/run").read_text()
    workflow = (REPO_ROOT / ".github/workflows/ci.yml").read_text()
    assert "bash ci/run.sh" in workflow
