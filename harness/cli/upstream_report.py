"""Results of MicroPython's own ``tests/run-tests.py`` on our boards: parsing its output,
merging the shards, judging against the expected failures, JUnit XML and the summary table.

No board and no process here (``harness/cli/upstream.py`` runs them); everything is a function
of text, so ``tests/host/test_upstream_report.py`` covers it.

run-tests.py (1.25 and 1.26) prints one line per test: ``pass  DIR/NAME.py [extra]``,
``FAIL  DIR/NAME.py [extra]``, ``skip  DIR/NAME.py``, and on 1.26 ``lrge  DIR/NAME.py`` (the
test did not fit in the board's memory: a skip "too large"). Filtered tests print nothing.

The expected failures (``tests/upstream/expected-failures.toml``) are ``[[expected]]`` tables:
``test`` (path under tests/), ``class`` (one of ``CLASSES``), ``reason`` (one line),
optional ``versions`` (MicroPython X.Y.Z) and ``variants`` (``VARIANTS``) it holds for
(default: all), ``fixed_in`` (required for ``upstream-bug``: the MicroPython version that fixed
it), ``flaky = true`` (it fails only sometimes, e.g. a timing test under host load: a pass is
then no error). Any failure not listed, and any listed failure that passes, fails the run.
"""

from __future__ import annotations

import difflib
import re
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import SetupError

CLASSES = {
    "board-memory": "a real ESP8266's memory limit (the reason gives the numbers)",
    "not-for-boards": "the test needs something a board does not have (argv, a host file)",
    "upstream-bug": "a MicroPython bug, fixed in the version named by fixed_in",
    "our-gap": "our emulator, firmware or harness lacks it: to fix",
}
VARIANTS = ("bytecode", "via-mpy", "native", "multi")  # multi: run-multitests.py
_LINE = re.compile(r"^(pass|FAIL|skip|lrge) +(\S+\.py)(?: +(.*?))?\s*$")
_OUTCOME = {"pass": "pass", "FAIL": "fail", "skip": "skip", "lrge": "skip"}


class ExpectationError(SetupError):
    """The expected-failures file is malformed; the message names the entry and the key."""


@dataclass(frozen=True)
class TestResult:
    """One test as run-tests.py reported it."""

    __test__ = False  # not a pytest class

    test: str  # path under tests/, e.g. "basics/int1.py"
    outcome: str  # "pass", "fail" or "skip"
    detail: str = ""  # "too large", unittest counts
    seconds: float = 0.0  # since the previous result line of its shard
    output: str = ""  # a failure's expected and actual output (filled in by the runner)


def parse_output(lines: Iterable[str | tuple[float, str]]) -> list[TestResult]:
    """Result lines of one run-tests.py run; items may be ``(monotonic time, line)`` pairs,
    then each result gets the time since the previous result (or the first line)."""
    results: list[TestResult] = []
    previous: float | None = None
    for item in lines:
        stamp, line = item if isinstance(item, tuple) else (None, item)
        if previous is None and stamp is not None:
            previous = stamp
        match = _LINE.match(line.rstrip("\r\n"))
        if not match:
            continue
        word, test, extra = match.groups()
        detail = "too large" if word == "lrge" else (extra or "")
        seconds = max(0.0, stamp - previous) if stamp is not None and previous is not None \
            else 0.0
        if stamp is not None:
            previous = stamp
        results.append(TestResult(test, _OUTCOME[word], detail, round(seconds, 3)))
    return results


def merge(shards: Sequence[Sequence[TestResult]]) -> list[TestResult]:
    """The shards' results as one list sorted by test; a test reported twice is an error (the
    shards must not overlap)."""
    seen: dict[str, TestResult] = {}
    for shard in shards:
        for result in shard:
            if result.test in seen:
                raise SetupError(f"{result.test} was reported by two shards; the test list was "
                                 "split wrongly")
            seen[result.test] = result
    return [seen[t] for t in sorted(seen)]


# ------------------------------------------------------------------ expected failures

@dataclass(frozen=True)
class Expected:
    test: str
    klass: str
    reason: str
    versions: tuple[str, ...] = ()  # empty: every version
    variants: tuple[str, ...] = ()  # empty: every variant
    fixed_in: str = ""
    flaky: bool = False  # may pass too: a pass is no error

    def applies(self, version: str, variant: str) -> bool:
        return (not self.versions or version in self.versions) and \
            (not self.variants or variant in self.variants)


_KEYS = {"test", "class", "reason", "versions", "variants", "fixed_in", "flaky"}


def _strings(value: object, where: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ExpectationError(f"{where}: {key} must be a list of strings")
    return tuple(value)


def parse_expected(text: str, origin: str = "expected-failures.toml") -> list[Expected]:
    """The ``[[expected]]`` entries; every error names the entry and what to fix."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExpectationError(f"{origin} is not valid TOML: {exc}") from None
    unknown_top = set(data) - {"expected"}
    if unknown_top:
        raise ExpectationError(f"{origin}: unknown table(s) {', '.join(sorted(unknown_top))}; "
                               "entries are [[expected]]")
    entries = data.get("expected", [])
    if not isinstance(entries, list):
        raise ExpectationError(f"{origin}: 'expected' must be an array of tables [[expected]]")
    out: list[Expected] = []
    for number, entry in enumerate(entries, 1):
        where = f"{origin}: entry {number}"
        if not isinstance(entry, dict):
            raise ExpectationError(f"{where} is not a table")
        if isinstance(entry.get("test"), str):
            where += f" ({entry['test']})"
        unknown = set(entry) - _KEYS
        if unknown:
            raise ExpectationError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        for key in ("test", "class", "reason"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise ExpectationError(f"{where}: needs {key} = \"...\"")
        test, klass, reason = entry["test"], entry["class"], entry["reason"].strip()
        if not re.fullmatch(r"[\w.-]+(/[\w.-]+)*/[\w.-]+\.py", test):
            raise ExpectationError(f"{where}: test must be a path under tests/ such as "
                                   "basics/int1.py")
        if klass not in CLASSES:
            raise ExpectationError(f"{where}: class {klass!r} is none of "
                                   f"{', '.join(CLASSES)}")
        if "\n" in reason:
            raise ExpectationError(f"{where}: the reason must be one line")
        versions = _strings(entry.get("versions", []), where, "versions")
        variants = _strings(entry.get("variants", []), where, "variants")
        bad = [v for v in variants if v not in VARIANTS]
        if bad:
            raise ExpectationError(f"{where}: variant(s) {', '.join(bad)} unknown; use "
                                   f"{', '.join(VARIANTS)}")
        fixed_in = entry.get("fixed_in", "")
        if klass == "upstream-bug" and not (isinstance(fixed_in, str) and fixed_in):
            raise ExpectationError(f"{where}: an upstream-bug names the MicroPython version "
                                   "that fixed it: fixed_in = \"X.Y.Z\"")
        if klass == "board-memory" and not re.search(r"\d", reason):
            raise ExpectationError(f"{where}: a board-memory reason gives the numbers (what "
                                   "the test needs against the board's heap)")
        flaky = entry.get("flaky", False)
        if not isinstance(flaky, bool):
            raise ExpectationError(f"{where}: flaky is true or false")
        out.append(Expected(test, klass, reason, versions, variants, str(fixed_in), flaky))
    _check_overlaps(out, origin)
    return out


def _check_overlaps(entries: list[Expected], origin: str) -> None:
    for i, a in enumerate(entries):
        for b in entries[i + 1:]:
            if a.test != b.test:
                continue
            versions = not a.versions or not b.versions or set(a.versions) & set(b.versions)
            variants = not a.variants or not b.variants or set(a.variants) & set(b.variants)
            if versions and variants:
                raise ExpectationError(f"{origin}: {a.test} is listed twice for the same "
                                       "version and variant")


def load_expected(path: Path) -> list[Expected]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise ExpectationError(f"cannot read the expected failures {path}: {exc}") from None
    return parse_expected(text, str(path))


def expected_for(entries: Iterable[Expected], version: str, variant: str) -> dict[str, Expected]:
    return {e.test: e for e in entries if e.applies(version, variant)}


def exit_code_explained(code: int | None, results: Sequence[TestResult]) -> bool:
    """run-tests.py's exit status fits its own result lines: 0, or 1 when it printed a FAIL
    (also one the runner later judged a pass: upstream_reference.py); anything else, or 1
    without a FAIL line (a crash of run-tests.py itself), is a problem of the run."""
    return code == 0 or (code == 1 and any(r.outcome == "fail" for r in results))


# ------------------------------------------------------------------ verdicts

STATUSES = ("passed", "failed", "skipped", "expected-fail", "unexpected-pass", "not-run")


@dataclass(frozen=True)
class Verdict:
    test: str
    status: str  # one of STATUSES
    detail: str = ""
    seconds: float = 0.0
    output: str = ""
    expected: Expected | None = None

    @property
    def directory(self) -> str:
        return self.test.rsplit("/", 1)[0] if "/" in self.test else "."

    @property
    def bad(self) -> bool:
        return self.status in ("failed", "unexpected-pass", "not-run")


def judge(results: Sequence[TestResult], expected: dict[str, Expected],
          assigned: Sequence[str] = ()) -> list[Verdict]:
    """Each result against the expected failures; tests in ``assigned`` without a result are
    ``not-run`` (their shard stopped early). A listed test that was skipped stays skipped."""
    verdicts: list[Verdict] = []
    reported = set()
    for r in results:
        reported.add(r.test)
        entry = expected.get(r.test)
        if r.outcome == "fail":
            status = "expected-fail" if entry else "failed"
        elif r.outcome == "pass":
            status = "unexpected-pass" if entry and not entry.flaky else "passed"
        else:
            status = "skipped"
        verdicts.append(Verdict(r.test, status, r.detail, r.seconds, r.output, entry))
    for test in assigned:
        if test not in reported:
            verdicts.append(Verdict(test, "not-run", "no result: its run-tests.py stopped "
                                    "before it", expected=expected.get(test)))
    return sorted(verdicts, key=lambda v: v.test)


def failure_excerpt(output: str, limit: int = 40) -> str:
    """A failure's output for a log: the unified diff of what run-tests.py expected and what
    the board printed (the runner's ``--- expected ---``/``--- board printed ---`` sections),
    at most ``limit`` lines, indented; "" without output."""
    if not output.strip():
        return ""
    parts = re.split(r"^--- (expected|board printed) ---\n", output, flags=re.M)
    sections = dict(zip(parts[1::2], parts[2::2], strict=True))
    if "expected" in sections and "board printed" in sections:
        lines = list(difflib.unified_diff(sections["expected"].splitlines(),
                                          sections["board printed"].splitlines(),
                                          "expected", "board printed", lineterm=""))
    else:
        lines = output.splitlines()
    if len(lines) > limit:
        lines = lines[:limit] + [f"... {len(lines) - limit} more lines"]
    return "".join("\n      " + line for line in lines)


def problems(verdicts: Iterable[Verdict]) -> list[str]:
    """One line per verdict that fails the run, saying what to do."""
    out = []
    for v in verdicts:
        if v.status == "failed":
            out.append(f"FAIL {v.test}: not an expected failure (fix it, or list it in "
                       "tests/upstream/expected-failures.toml with a class and a reason)"
                       + failure_excerpt(v.output))
        elif v.status == "unexpected-pass":
            assert v.expected is not None
            out.append(f"PASS {v.test}: listed as an expected failure ({v.expected.klass}: "
                       f"{v.expected.reason}) but it passed: remove or narrow its entry")
        elif v.status == "not-run":
            out.append(f"NOT RUN {v.test}: {v.detail}")
    return out


def counts(verdicts: Iterable[Verdict]) -> dict[str, dict[str, int]]:
    """Per directory (and "total"): how many of each status."""
    table: dict[str, dict[str, int]] = {}
    for v in verdicts:
        for key in (v.directory, "total"):
            row = table.setdefault(key, dict.fromkeys(STATUSES, 0))
            row[v.status] += 1
    total = table.pop("total", dict.fromkeys(STATUSES, 0))
    return {**dict(sorted(table.items())), "total": total}


def format_summary(verdicts: Sequence[Verdict], title: str) -> str:
    """A plain-text table: per directory passed, failed, skipped, expected-fail (and the
    columns that fail a run, when any is non-zero)."""
    table = counts(verdicts)
    columns = ["passed", "failed", "skipped", "expected-fail"]
    columns += [c for c in ("unexpected-pass", "not-run") if table["total"][c]]
    width = max([len("directory")] + [len(d) for d in table])
    head = f"{'directory':<{width}}  " + "  ".join(f"{c:>{max(6, len(c))}}" for c in columns)
    lines = [title, head, "-" * len(head)]
    for directory, row in table.items():
        if directory == "total":
            lines.append("-" * len(head))
        lines.append(f"{directory:<{width}}  " + "  ".join(
            f"{row[c]:>{max(6, len(c))}}" for c in columns))
    return "\n".join(lines)


def junit_xml(verdicts: Sequence[Verdict], suite: str) -> str:
    """JUnit XML: a testsuite per directory, named ``SUITE.DIR``; an expected failure is a
    skipped case whose message gives its class and reason."""
    root = ET.Element("testsuites", name=suite)
    by_dir: dict[str, list[Verdict]] = {}
    for v in verdicts:
        by_dir.setdefault(v.directory, []).append(v)
    for directory, items in sorted(by_dir.items()):
        failures = sum(v.status in ("failed", "unexpected-pass") for v in items)
        errors = sum(v.status == "not-run" for v in items)
        skipped = sum(v.status in ("skipped", "expected-fail") for v in items)
        element = ET.SubElement(root, "testsuite", name=f"{suite}.{directory}",
                                tests=str(len(items)), failures=str(failures),
                                errors=str(errors), skipped=str(skipped),
                                time=f"{sum(v.seconds for v in items):.3f}")
        for v in items:
            case = ET.SubElement(element, "testcase", classname=f"{suite}.{directory}",
                                 name=v.test.rsplit("/", 1)[-1], file=v.test,
                                 time=f"{v.seconds:.3f}")
            if v.status == "failed":
                node = ET.SubElement(case, "failure", message=f"{v.test} failed {v.detail}"
                                     .strip())
                node.text = v.output
            elif v.status == "unexpected-pass":
                assert v.expected is not None
                ET.SubElement(case, "failure", message="listed as an expected failure "
                              f"({v.expected.klass}) but passed")
            elif v.status == "not-run":
                ET.SubElement(case, "error", message=v.detail)
            elif v.status == "expected-fail":
                assert v.expected is not None
                node = ET.SubElement(case, "skipped", message=f"expected failure "
                                     f"({v.expected.klass}): {v.expected.reason}")
                node.text = v.output
            elif v.status == "skipped":
                ET.SubElement(case, "skipped", message=v.detail or "skipped by run-tests.py")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


@dataclass
class RunReport:
    """One variant's run on one version: the verdicts and where the files went."""

    version: str
    variant: str
    verdicts: list[Verdict] = field(default_factory=list)
    seconds: float = 0.0
    directory: Path | None = None

    @property
    def title(self) -> str:
        return f"MicroPython {self.version} tests, {self.variant}: {self.seconds:.0f} s"

    def summary(self) -> str:
        return format_summary(self.verdicts, self.title)

    def problems(self) -> list[str]:
        return problems(self.verdicts)
