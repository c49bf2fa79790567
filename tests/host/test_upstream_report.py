"""`invoke test-upstream`'s logic without a board: run-tests.py's output parsed, shards merged,
results judged against the expected failures, JUnit XML and the summary; the test selection,
the sharding and the clear errors for a missing tree or firmware."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.build.board_libs import PypiPin, find_sdist_url, load_unittest_pin
from harness.cli import upstream
from harness.cli import upstream_report as report
from harness.errors import ChecksumError, HarnessError, SetupError, SourceError

OUTPUT_125 = [  # run-tests.py ends a result line with a space when it has no detail
    "platform=esp8266 arch=xtensa inlineasm=xtensa",
    "pass  basics/andor.py ",
    "skip  basics/builtin_compile.py",
    "FAIL  extmod/vfs_blockdev.py ",
    "pass  extmod/machine1.py (unittest: 3 ran)",
    "3 tests performed (366 individual testcases)",
    "2 tests passed",
    "1 tests skipped: builtin_compile",
    "1 tests failed: vfs_blockdev",
]

OUTPUT_126 = """\
platform=esp8266 arch=xtensa inlineasm=xtensa
lrge  extmod/vfs_rom.py
pass  float/float1.py
"""


def test_parse_output_reads_each_result_line():
    results = report.parse_output(OUTPUT_125)
    assert [(r.test, r.outcome, r.detail) for r in results] == [
        ("basics/andor.py", "pass", ""),
        ("basics/builtin_compile.py", "skip", ""),
        ("extmod/vfs_blockdev.py", "fail", ""),
        ("extmod/machine1.py", "pass", "(unittest: 3 ran)"),
    ]


def test_parse_output_too_large_is_a_skip_and_times_come_from_stamps():
    lines = [(10.0, "platform=esp8266"), (10.5, "lrge  extmod/vfs_rom.py"),
             (11.75, "pass  float/float1.py ")]
    results = report.parse_output(lines)
    assert results[0] == report.TestResult("extmod/vfs_rom.py", "skip", "too large", 0.5)
    assert results[1].seconds == 1.25
    assert [r.outcome for r in report.parse_output(OUTPUT_126.splitlines())] == ["skip", "pass"]


def test_merge_sorts_and_rejects_overlapping_shards():
    a = report.parse_output(["pass  basics/b.py", "pass  basics/d.py"])
    b = report.parse_output(["FAIL  basics/a.py", "skip  basics/c.py"])
    assert [r.test for r in report.merge([a, b])] == [
        "basics/a.py", "basics/b.py", "basics/c.py", "basics/d.py"]
    with pytest.raises(SetupError, match="two shards"):
        report.merge([a, a])


EXPECTED = """
[[expected]]
test = "extmod/vfs_blockdev.py"
class = "board-memory"
reason = "25600-byte RAM disk and 4224 for mkfs in 32592 free bytes"

[[expected]]
test = "extmod/vfs_rom.py"
class = "board-memory"
reason = "17284 bytes of source"
versions = ["1.25.0"]

[[expected]]
test = "basics/andor.py"
class = "our-gap"
reason = "pretend"
variants = ["native"]
"""


def test_expected_entries_apply_per_version_and_variant():
    entries = report.parse_expected(EXPECTED)
    assert set(report.expected_for(entries, "1.25.0", "bytecode")) == {
        "extmod/vfs_blockdev.py", "extmod/vfs_rom.py"}
    assert set(report.expected_for(entries, "1.26.1", "native")) == {
        "extmod/vfs_blockdev.py", "basics/andor.py"}


@pytest.mark.parametrize(("text", "message"), [
    ('[[expected]]\ntest = "basics/a.py"\nclass = "flaky"\nreason = "x"', "none of"),
    ('[[expected]]\ntest = "basics/a.py"\nclass = "our-gap"', "needs reason"),
    ('[[expected]]\ntest = "a.py"\nclass = "our-gap"\nreason = "x"', "path under tests/"),
    ('[[expected]]\ntest = "basics/a.py"\nclass = "upstream-bug"\nreason = "x"', "fixed_in"),
    ('[[expected]]\ntest = "basics/a.py"\nclass = "board-memory"\nreason = "big"', "numbers"),
    ('[[expected]]\ntest = "basics/a.py"\nclass = "our-gap"\nreason = "x"\n'
     'variants = ["jit"]', "unknown"),
    ('[[expected]]\ntest = "basics/a.py"\nclass = "our-gap"\nreason = "x"\nwhy = 1',
     "unknown key"),
    ('[[expected]]\ntest = "basics/a.py"\nclass = "our-gap"\nreason = "x"\n'
     '[[expected]]\ntest = "basics/a.py"\nclass = "our-gap"\nreason = "y"\n'
     'versions = ["1.25.0"]', "twice"),
    ("[[expected]\n", "not valid TOML"),
    ('[expectd]\ntest = "x"', "unknown table"),
])
def test_bad_expected_files_say_what_to_fix(text, message):
    with pytest.raises(report.ExpectationError, match=message):
        report.parse_expected(text, "x.toml")


def test_the_repositorys_expected_failures_parse():
    entries = report.load_expected(upstream.EXPECTED_FILE)
    assert all(e.klass in report.CLASSES for e in entries)


def test_judge_fails_on_new_failures_passing_expected_ones_and_missing_results():
    expected = report.expected_for(report.parse_expected(EXPECTED), "1.25.0", "bytecode")
    results = report.parse_output(["pass  basics/b.py", "FAIL  basics/c.py",
                                   "FAIL  extmod/vfs_blockdev.py", "pass  extmod/vfs_rom.py",
                                   "skip  float/f.py"])
    verdicts = report.judge(results, expected, assigned=[r.test for r in results]
                            + ["misc/lost.py"])
    status = {v.test: v.status for v in verdicts}
    assert status == {"basics/b.py": "passed", "basics/c.py": "failed",
                      "extmod/vfs_blockdev.py": "expected-fail",
                      "extmod/vfs_rom.py": "unexpected-pass", "float/f.py": "skipped",
                      "misc/lost.py": "not-run"}
    issues = report.problems(verdicts)
    assert len(issues) == 3
    assert any(i.startswith("FAIL basics/c.py") for i in issues)
    assert any("extmod/vfs_rom.py" in i and "remove or narrow" in i for i in issues)
    assert any(i.startswith("NOT RUN misc/lost.py") for i in issues)


def test_summary_table_counts_per_directory():
    verdicts = report.judge(report.parse_output(
        ["pass  basics/a.py", "pass  basics/b.py", "skip  basics/c.py",
         "FAIL  extmod/vfs_blockdev.py"]),
        report.expected_for(report.parse_expected(EXPECTED), "1.25.0", "bytecode"))
    table = report.counts(verdicts)
    assert table["basics"]["passed"] == 2 and table["basics"]["skipped"] == 1
    assert table["extmod"]["expected-fail"] == 1
    assert table["total"]["passed"] == 2
    text = report.format_summary(verdicts, "title")
    assert text.splitlines()[0] == "title"
    assert "expected-fail" in text and "not-run" not in text
    assert text.splitlines()[-1].split() == ["total", "2", "0", "1", "1"]


def test_junit_xml_has_a_suite_per_directory():
    expected = report.expected_for(report.parse_expected(EXPECTED), "1.25.0", "bytecode")
    results = report.parse_output(["pass  basics/a.py", "FAIL  basics/c.py",
                                   "FAIL  extmod/vfs_blockdev.py"])
    results[1] = report.TestResult("basics/c.py", "fail", "", 0.2, "--- expected ---\n1\n")
    root = ET.fromstring(report.junit_xml(report.judge(results, expected), "upstream.x"))
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"upstream.x.basics", "upstream.x.extmod"}
    assert suites["upstream.x.basics"].get("failures") == "1"
    failure = root.find(".//testcase[@name='c.py']/failure")
    assert failure is not None and "expected" in (failure.text or "")
    skipped = root.find(".//testcase[@name='vfs_blockdev.py']/skipped")
    assert skipped is not None and "board-memory" in skipped.get("message", "")


def _tree(tmp_path: Path) -> Path:
    tests = tmp_path / "tests"
    for name in ("basics/a.py", "basics/b_async.py", "basics/c.py", "extmod/d.py",
                 "float/e.py", "io/f.py"):
        (tests / name).parent.mkdir(parents=True, exist_ok=True)
        (tests / name).write_text("print(1)\n")
    return tests


def test_select_tests_defaults_dirs_and_filters_like_run_tests(tmp_path):
    tests = _tree(tmp_path)
    assert upstream.select_tests(tests, ()) == [
        "basics/a.py", "basics/b_async.py", "basics/c.py", "extmod/d.py", "float/e.py"]
    assert upstream.select_tests(tests, ("io",)) == ["io/f.py"]
    assert upstream.select_tests(tests, ("basics",), include=("async",)) == \
        ["basics/b_async.py"]
    assert upstream.select_tests(tests, ("basics",), exclude=("async",)) == \
        ["basics/a.py", "basics/c.py"]
    with pytest.raises(SetupError, match="no test directory nope"):
        upstream.select_tests(tests, ("nope",))


def test_shard_interleaves_and_never_makes_empty_shards():
    tests = [f"t{i}.py" for i in range(5)]
    assert upstream.shard(tests, 2) == [["t0.py", "t2.py", "t4.py"], ["t1.py", "t3.py"]]
    assert upstream.shard(tests[:1], 4) == [["t0.py"]]
    assert sorted(sum(upstream.shard(tests, 3), [])) == tests


def test_variants_map_to_run_tests_flags():
    assert upstream.UpstreamOptions().run_tests_flags() == []
    assert upstream.UpstreamOptions(via_mpy=True).variant == "via-mpy"
    native = upstream.UpstreamOptions(emit="native")
    assert native.variant == "native"
    assert native.run_tests_flags() == ["--via-mpy", "--emit", "native"]


def test_a_missing_tree_or_firmware_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("ESP8266_QEMU_BUILD", str(tmp_path))
    with pytest.raises(SetupError, match="invoke sources"):
        upstream.locate_tree(None)
    pin_tree = upstream.locate_tree.__globals__["paths"].src_dir() / "micropython-1.25.0"
    pin_tree.mkdir(parents=True)
    with pytest.raises(SetupError, match="no tests/run-tests.py"):
        upstream.locate_tree("1.25")
    (pin_tree / "tests").mkdir()
    (pin_tree / "tests" / "run-tests.py").write_text("")
    with pytest.raises(SetupError, match="invoke build"):
        upstream.run(upstream.UpstreamOptions(micropython="1.25"))
    with pytest.raises(HarnessError, match="--emit"):
        upstream.run(upstream.UpstreamOptions(emit="jit"))


PAGE = ('<a href="https://files.example/p/pkg-0.7.tar.gz#sha256=abc">pkg-0.7.tar.gz</a><br/>'
        '<a href="https://files.example/p/pkg-0.6.tar.gz#sha256=def">pkg-0.6.tar.gz</a>')


def test_unittest_sdist_is_found_on_the_simple_index_and_checked():
    pin = PypiPin("pkg", "0.7", "pkg-0.7.tar.gz", "abc", "pkg-0.7/unittest.py")
    assert find_sdist_url(PAGE, pin) == "https://files.example/p/pkg-0.7.tar.gz"
    with pytest.raises(ChecksumError):
        find_sdist_url(PAGE, PypiPin("pkg", "0.6", "pkg-0.6.tar.gz", "abc", "x"))
    with pytest.raises(SourceError, match="no pkg-0.8"):
        find_sdist_url(PAGE, PypiPin("pkg", "0.8", "pkg-0.8.tar.gz", "abc", "x"))
    assert load_unittest_pin().sdist.endswith(".tar.gz")


def test_a_flaky_expected_failure_may_pass():
    entries = report.parse_expected('[[expected]]\ntest = "extmod/machine_spi_rate.py"\n'
                                    'class = "our-gap"\nreason = "timing"\nflaky = true\n')
    expected = report.expected_for(entries, "1.26.1", "bytecode")
    for line, status in (("pass  extmod/machine_spi_rate.py", "passed"),
                         ("FAIL  extmod/machine_spi_rate.py", "expected-fail")):
        verdicts = report.judge(report.parse_output([line]), expected)
        assert [v.status for v in verdicts] == [status]
        assert report.problems(verdicts) == []
    with pytest.raises(report.ExpectationError, match="flaky"):
        report.parse_expected('[[expected]]\ntest = "basics/a.py"\nclass = "our-gap"\n'
                              'reason = "x"\nflaky = "yes"\n')


def test_invoke_test_runs_bytecode_per_version_and_native_on_the_newest(monkeypatch):
    from harness.build.versions import pinned_versions
    from harness.cli import multitests, test_runner
    from harness.network import service

    calls = []
    monkeypatch.setattr(upstream, "run", lambda options: calls.append(
        (options.micropython, options.variant, options.jobs)))
    multi = []
    monkeypatch.setattr(multitests, "run", lambda options: multi.append(options.micropython))
    monkeypatch.setattr(service, "default_mode", lambda: "tap")
    test_runner.run_upstream_stage()
    versions = pinned_versions()
    newest = max(versions, key=lambda v: tuple(int(x) for x in v.split(".")))
    assert [c for c in calls if c[1] == "bytecode"] == [(v, "bytecode", 2) for v in versions]
    assert [c for c in calls if c[1] == "native"] == [(newest, "native", 2)]
    assert multi == versions
    calls.clear()
    test_runner.run_upstream_stage("1.26", jobs=3)
    assert calls == [("1.26", "bytecode", 3), ("1.26", "native", 3)]


def test_a_shard_stops_when_its_board_is_gone_or_time_is_up(tmp_path):
    import os
    import time
    from types import SimpleNamespace

    def board(alive: bool) -> SimpleNamespace:
        qemu = SimpleNamespace(poll=lambda: None if alive else 1)
        return SimpleNamespace(service=SimpleNamespace(process=qemu, qemu_log="q.log",
                                                       uart0_log="u.log"))

    def shard(index: int, argv: list[str]) -> upstream._Shard:
        return upstream._Shard(index, ["basics/a.py"], argv, tmp_path, tmp_path / f"{index}.log",
                               dict(os.environ), {})

    shards = [shard(0, ["echo", "pass  basics/a.py"]), shard(1, ["sleep", "30"])]
    started = time.monotonic()
    stopped = upstream._wait_all(shards, [board(True), board(False)], started + 20)
    assert stopped[0] == "" and "QEMU exited" in stopped[1]
    assert shards[0].lines[-1][1] == "pass  basics/a.py"
    late = [shard(2, ["sleep", "30"])]
    assert upstream._wait_all(late, [board(True)], time.monotonic() + 0.5) == {2: "timed out"}
    quiet = [shard(3, ["sleep", "30"])]
    why = upstream._wait_all(quiet, [board(True)], time.monotonic() + 20, idle_timeout=0.5)[3]
    assert why.startswith("printed nothing for 0 s") or why.startswith("printed nothing for 1 s")
    assert time.monotonic() - started < 10


def test_perfbench_output_is_parsed_with_its_errors():
    from harness.cli.perfbench import parse_perfbench

    text = ("N=50 M=25 n_average=3\nperf_bench/bm_fft.py: SKIP\n"
            "perf_bench/misc_pystone.py: 99850.00 0.0000 801.20 0.0000\n"
            "perf_bench/bm_float.py: CRASH: PyboardError('timeout')\n"
            "perf_bench/core_qstr.py: FAIL truth\n")
    results = parse_perfbench(text)
    assert results["perf_bench/misc_pystone.py"].time_us == 99850.0
    assert results["perf_bench/misc_pystone.py"].score == 801.2
    assert results["perf_bench/bm_fft.py"].error == "SKIP"
    assert results["perf_bench/bm_float.py"].error.startswith("CRASH")
    assert results["perf_bench/core_qstr.py"].error == "FAIL truth"


def test_multitests_output_is_parsed_with_the_failure_diff():
    from harness.cli.multitests import parse_multitests

    lines = ["multi_net/tcp_data.py on pts/3|pts/4: pass",
             "multi_net/udp_data.py on pts/3|pts/4: FAIL",
             "### TEST ###", "a", "### TRUTH ###", "b", "### DIFF ###",
             "multi_net/ssl_data.py on pts/3|pts/4: skip",
             "3 tests performed"]
    results = parse_multitests(lines)
    assert [(r.test, r.outcome) for r in results] == [
        ("multi_net/tcp_data.py", "pass"), ("multi_net/udp_data.py", "fail"),
        ("multi_net/ssl_data.py", "skip")]
    assert "### TRUTH ###" in results[1].output and "ssl" not in results[1].output


def test_a_tree_of_an_unpinned_version_built_here_is_found(tmp_path, monkeypatch):
    monkeypatch.setenv("ESP8266_QEMU_BUILD", str(tmp_path))
    with pytest.raises(SourceError, match="pinned: "):
        upstream.locate_tree("1.28")
    built = tmp_path / "src" / "micropython-1.28.0"  # ESP8266_QEMU_MICROPYTHON_DIR=... build
    built.mkdir(parents=True)
    tree = upstream.locate_tree("1.28")
    assert (tree.version, tree.root) == ("1.28.0", built)


def test_target_wiring_becomes_the_boards_gpio_wires(tmp_path):
    assert upstream.target_wiring_wires(tmp_path) == ""  # 1.26 and before: no target_wiring/
    wiring = tmp_path / "target_wiring"
    wiring.mkdir()
    (wiring / "esp8266.py").write_text("# Connect GPIO4 to GPIO5\nuart_loopback_args = (1,)\n"
                                       "pwm_loopback_pins = [(4, 5)]\n")
    assert upstream.target_wiring_wires(tmp_path) == "4-5"
    (wiring / "ESP8266_QEMU.py").write_text("pwm_loopback_pins = [(12, 13), (4, 5)]\n")
    assert upstream.target_wiring_wires(tmp_path) == "12-13,4-5"  # the board's file first


def test_timing_tests_go_to_icount_boards_with_the_auto_clock():
    tests = ["basics/int1.py", "extmod/asyncio_fair.py", "extmod/machine_spi_rate.py",
             "extmod/machine1.py", "extmod_hardware/machine_pwm.py"]
    assert upstream.clock_groups(tests, "auto") == [
        ("realtime", ["basics/int1.py", "extmod/machine1.py"]),
        ("icount", ["extmod/asyncio_fair.py", "extmod/machine_spi_rate.py",
                    "extmod_hardware/machine_pwm.py"])]
    assert upstream.clock_groups(tests, "realtime") == [("realtime", tests)]
    assert upstream.clock_groups(["basics/int1.py"], "auto") == [("realtime", ["basics/int1.py"])]


def test_a_failure_shows_the_diff_of_what_was_expected_and_printed() -> None:
    output = "--- expected ---\na\nb\nc\n--- board printed ---\na\nB\nc\n"
    verdicts = report.judge([report.TestResult("extmod/x.py", "fail", output=output)], {})
    (line,) = report.problems(verdicts)
    assert line.startswith("FAIL extmod/x.py: not an expected failure")
    assert "\n      -b\n      +B" in line
    assert report.failure_excerpt("") == ""
    long = "--- board printed ---\n" + "x\n" * 100
    assert report.failure_excerpt(long, limit=5).endswith("... 96 more lines")
