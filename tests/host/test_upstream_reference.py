"""The second look at CPython's reference output (harness/cli/upstream_reference.py): a failed
test passes only when a re-run of CPython prints exactly what the board printed, and only when
its expected output came from CPython in the first place."""

from __future__ import annotations

import sys
from pathlib import Path

from harness.cli import upstream_report as report
from harness.cli.upstream import judged_result
from harness.cli.upstream_reference import reference_output, reference_was_wrong

ENV = {"MICROPY_CPYTHON3": sys.executable, "PATH": "/usr/bin:/bin"}


def _tree(tmp_path: Path, script: str) -> tuple[Path, Path]:
    tests = tmp_path / "tests"
    (tests / "extmod").mkdir(parents=True)
    (tests / "extmod" / "t.py").write_text(script)
    results = tmp_path / "results"
    results.mkdir()
    return tests, results


def _saved(results: Path, expected: bytes, printed: bytes) -> None:
    (results / "extmod_t.py.exp").write_bytes(expected)
    (results / "extmod_t.py.out").write_bytes(printed)


def test_a_rerun_that_prints_what_the_board_printed_clears_the_failure(tmp_path):
    tests, results = _tree(tmp_path, "for i in range(3):\n    print('work', i)\n")
    _saved(results, b"work 0\nwork 1\n", b"work 0\nwork 1\nwork 2\n")  # the starved run
    assert reference_was_wrong(tests, results, "extmod/t.py", ENV)
    judged = judged_result(report.TestResult("extmod/t.py", "fail"), tests, results, ENV)
    assert (judged.outcome, judged.detail) == ("pass", "(CPython reference re-run)")


def test_a_board_that_printed_something_else_still_fails(tmp_path):
    tests, results = _tree(tmp_path, "print('work', 1)\n")
    _saved(results, b"work 1\n", b"work 2\n")
    assert not reference_was_wrong(tests, results, "extmod/t.py", ENV)
    judged = judged_result(report.TestResult("extmod/t.py", "fail"), tests, results, ENV)
    assert judged.outcome == "fail"
    assert "--- expected ---\nwork 1" in judged.output
    assert "--- board printed ---\nwork 2" in judged.output


def test_an_exp_file_is_never_second_guessed(tmp_path):
    tests, results = _tree(tmp_path, "print('work', 2)\n")
    (tests / "extmod" / "t.py.exp").write_text("work 1\n")
    _saved(results, b"work 1\n", b"work 2\n")
    assert not reference_was_wrong(tests, results, "extmod/t.py", ENV)


def test_no_saved_output_means_no_cpython_reference(tmp_path):
    tests, results = _tree(tmp_path, "print('x')\n")
    assert not reference_was_wrong(tests, results, "extmod/t.py", ENV)


def test_the_reference_is_taken_as_run_tests_takes_it(tmp_path):
    tests, _ = _tree(tmp_path, "import os, sys\nprint(os.path.basename(os.getcwd()))\n"
                     "sys.stdout.write('a\\r\\n')\nraise SystemExit(3)\n")
    # cwd is the test's directory, CRLF becomes LF, a non-zero exit is a crash
    assert reference_output(tests, "extmod/t.py", ENV) == b"CPYTHON3 CRASH:\nextmod\na\n"


def test_exit_1_is_explained_only_by_a_fail_line_even_one_judged_a_pass_later():
    failed = [report.TestResult("basics/a.py", "pass"), report.TestResult("extmod/t.py", "fail")]
    passed = [report.TestResult("basics/a.py", "pass")]
    assert report.exit_code_explained(0, passed)
    assert report.exit_code_explained(1, failed)
    assert not report.exit_code_explained(1, passed)  # run-tests.py itself failed
    assert not report.exit_code_explained(2, failed)
    assert not report.exit_code_explained(None, failed)  # still running: never "fine"
