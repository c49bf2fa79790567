"""A second look at CPython's reference output for a test that failed.

run-tests.py judges a test without a ``.exp`` file against what CPython prints for it, run
while the boards run. Tests that sleep (``extmod/asyncio_fair.py``: a task's line every
100 ms until the main task's 450 ms sleep ends) print less when CPython itself is starved of
the CPU: then the board was right and the reference wrong (seen in CI, and with a CPU hog
in 1 of 5 runs of the timing tests). So a failed test whose expected output came from CPython
gets its reference run again, with run-tests.py's own command, after the boards have
stopped; if one of a few re-runs prints exactly what the board printed, the test passed.
The board's output is never changed or re-run; only the oracle is asked again.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

ATTEMPTS = 3
TIMEOUT_S = 60.0


def result_base(result_dir: Path, test: str) -> Path:
    """run-tests.py's name for a test's saved output in its result dir (without suffix)."""
    return result_dir / test.replace("..", "_").replace("./", "").replace("/", "_")


def cpython_command(env: Mapping[str, str]) -> list[str]:
    """run-tests.py's CPython command (CPYTHON3_CMD): $MICROPY_CPYTHON3, else python3."""
    return [env.get("MICROPY_CPYTHON3", "python3"), "-BS"]


def reference_output(tests_dir: Path, test: str, env: Mapping[str, str]) -> bytes:
    """CPython's output for ``test`` as run-tests.py takes it (cwd the test's directory,
    stderr with stdout, CRLF made LF; a crash prefixed as run-tests.py does)."""
    path = tests_dir / test
    try:
        done = subprocess.run([*cpython_command(env), str(path)], cwd=path.parent,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              env=dict(env), timeout=TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"CPYTHON3 CRASH:\n{e}\n".encode()
    out = done.stdout if done.returncode == 0 else b"CPYTHON3 CRASH:\n" + done.stdout
    return out.replace(b"\r\n", b"\n")


def reference_was_wrong(tests_dir: Path, result_dir: Path, test: str,
                        env: Mapping[str, str] | None = None,
                        attempts: int = ATTEMPTS) -> bool:
    """True when ``test`` failed only because CPython's reference run printed something else
    than it prints now: its expected output came from CPython (no ``.exp`` beside the test;
    run-tests.py saved one in ``result_dir``), and one of ``attempts`` re-runs prints exactly
    what the board printed (the saved ``.out``)."""
    if (tests_dir / f"{test}.exp").exists():
        return False  # the expected output is a file, not a CPython run
    base = result_base(result_dir, test)
    expected, board = Path(f"{base}.exp"), Path(f"{base}.out")
    if not expected.is_file() or not board.is_file():
        return False  # e.g. a unittest-based test: no CPython reference
    printed = board.read_bytes()
    env = os.environ if env is None else env
    return any(reference_output(tests_dir, test, env) == printed for _ in range(attempts))
