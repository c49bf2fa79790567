"""The test tree has no __init__.py files, so pytest imports each test module by its basename:
two test files with one name in different suites stop the whole run at collection."""

from __future__ import annotations

from collections import Counter

from harness.paths import REPO_ROOT


def test_every_test_module_name_is_unique() -> None:
    names = Counter(p.name for p in (REPO_ROOT / "tests").rglob("test_*.py"))
    assert [name for name, n in names.items() if n > 1] == []
