"""The docs name what the code has: every harness module in docs/harness.md, every task in the
README's command table."""

from __future__ import annotations

import importlib.util

from invoke import Task

from harness.paths import REPO_ROOT


def test_docs_harness_names_every_module():
    text = (REPO_ROOT / "docs" / "harness.md").read_text()
    missing = [str(p.relative_to(REPO_ROOT)) for p in sorted((REPO_ROOT / "harness").rglob("*.py"))
               if p.name != "__init__.py" and f"`{p.name}`" not in text]
    assert missing == [], "describe these modules in docs/harness.md"


def test_readme_lists_every_task():
    spec = importlib.util.spec_from_file_location("project_tasks", REPO_ROOT / "tasks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    names = sorted(obj.name.replace("_", "-") for obj in vars(module).values()
                   if isinstance(obj, Task))
    assert "test-qemu" in names and "webrepl" in names
    readme = (REPO_ROOT / "README.md").read_text()
    table = readme.split("## Everyday commands", 1)[1].split("\n## ", 1)[0]
    assert [n for n in names if f"`invoke {n}" not in table] == []
