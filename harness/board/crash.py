"""Fatal-exception dumps in UART output, decoded to function and file:line with addr2line.

The firmware prints (the first two lines are the Espressif SDK's format, so real boards decode
too)::

    Fatal exception 28(LoadProhibitedCause):
    epc1=0x4020a1b2, epc2=0x00000000, epc3=0x00000000, excvaddr=0x00000004, depc=0x00000000
    regs: a0=0x40201234 a1=0x3ffffe10 ... a15=0x00000000 sar=0x0000001f ps=0x00000030

``CrashDetector`` is a ``Transport`` listener that raises ``BoardCrashed`` once a dump is
complete, so a test fails at once instead of waiting for its timeout.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import BoardCrashed, SetupError

ADDR2LINE = "xtensa-lx106-elf-addr2line"

_HEADER = re.compile(r"Fatal exception \(?(\d+)\)?(?:\((\w+)\))?:?")
_REGISTER = re.compile(r"\b(epc[123]|excvaddr|depc|a\d{1,2}|sar|ps|pc)=(0x[0-9a-fA-F]{1,8})\b")
_CODE_ADDRESS = re.compile(r"\b0x40[0-9a-fA-F]{6}\b")

# Register order for the decoded report: where it crashed, then who called.
_PRIORITY = ("epc1", "a0", "epc2", "epc3", "depc")


def is_code_address(value: int) -> bool:
    """IRAM (0x401xxxxx), flash-mapped code (0x402xxxxx) and the ROM region."""
    return 0x40000000 <= value < 0x40400000


@dataclass
class CrashDump:
    cause: int
    cause_name: str
    registers: dict[str, int] = field(default_factory=dict)
    text: str = ""

    def code_addresses(self) -> list[tuple[str, int]]:
        """(label, address) for every code address: named registers first, then the rest."""
        seen: set[int] = set()
        result: list[tuple[str, int]] = []
        names = list(_PRIORITY) + [n for n in self.registers if n not in _PRIORITY]
        for name in names:
            value = self.registers.get(name)
            if value is not None and is_code_address(value) and value not in seen:
                seen.add(value)
                result.append((name, value))
        for match in _CODE_ADDRESS.finditer(self.text):
            value = int(match.group(0), 16)
            if value not in seen:
                seen.add(value)
                result.append(("addr", value))
        return result


def parse_crash(text: str) -> CrashDump | None:
    """The first dump in ``text``, or None. Tolerates a dump cut short."""
    header = _HEADER.search(text)
    if header is None:
        return None
    lines = text[header.start():].splitlines()
    body = [lines[0]]
    for line in lines[1:4]:
        if line.startswith(("epc1=", "regs:", "pc=")) or _REGISTER.match(line.strip()):
            body.append(line)
        else:
            break
    dump_text = "\n".join(body)
    registers = {m.group(1): int(m.group(2), 16) for m in _REGISTER.finditer(dump_text)}
    return CrashDump(int(header.group(1)), header.group(2) or "", registers, dump_text)


def crash_complete(text: str) -> bool:
    """True once a dump's register lines have all arrived (or something else followed them)."""
    header = _HEADER.search(text)
    if header is None:
        return False
    lines = text[header.start():].split("\n")
    complete_lines = [line.strip() for line in lines[:-1]]  # the last piece may be partial
    if len(complete_lines) < 2:
        return False
    # The SDK prints two lines; our firmware adds 'regs:'. Any other line ends the dump.
    if not complete_lines[1].startswith("epc1="):
        return True
    return len(complete_lines) >= 3


class Addr2Line:
    """Runs ``xtensa-lx106-elf-addr2line -pfiaC -e ELF`` for a batch of addresses."""

    def __init__(self, elf: Path, tool: str = ADDR2LINE) -> None:
        self.elf = Path(elf)
        found = shutil.which(tool)
        if found is None:
            raise SetupError(
                f"{tool} not found; install it with `apt-get install binutils-xtensa-lx106`"
            )
        self.tool = found

    def lookup(self, addresses: list[int]) -> dict[int, str]:
        """Address -> 'function at file:line' (inlined frames appended on more lines)."""
        if not addresses:
            return {}
        if not self.elf.is_file():
            raise SetupError(f"cannot decode the crash: ELF {self.elf} does not exist; "
                             "run `invoke build` or pass --firmware")
        argv = [self.tool, "-pfiaC", "-e", str(self.elf)] + [f"0x{a:08x}" for a in addresses]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
        if proc.returncode != 0:
            raise SetupError(f"{' '.join(argv[:4])} failed: {proc.stderr.strip()}")
        return _parse_addr2line(proc.stdout)


def _parse_addr2line(output: str) -> dict[int, str]:
    result: dict[int, str] = {}
    current: int | None = None
    for line in output.splitlines():
        match = re.match(r"^0x([0-9a-fA-F]+): (.*)$", line)
        if match:
            current = int(match.group(1), 16)
            result[current] = match.group(2).strip()
        elif current is not None and line.strip():
            result[current] += "\n    " + line.strip()
    return result


def decode_crash(dump: CrashDump, elf: Path | None, tool: str = ADDR2LINE) -> str:
    """The dump followed by one line per code address with function and file:line."""
    lines = [dump.text.strip()]
    addresses = dump.code_addresses()
    if not addresses:
        return lines[0]
    if elf is None:
        lines.append("(no firmware ELF given: addresses not decoded; pass --firmware)")
        return "\n".join(lines)
    try:
        names = Addr2Line(elf, tool).lookup([addr for _, addr in addresses])
    except SetupError as exc:
        lines.append(f"(addresses not decoded: {exc})")
        return "\n".join(lines)
    lines.append("decoded:")
    for label, addr in addresses:
        lines.append(f"  {label:>8} 0x{addr:08x}: {names.get(addr, '??')}")
    return "\n".join(lines)


class CrashDetector:
    """Transport listener: raises ``BoardCrashed`` (decoded) once a complete dump arrived.

    ``check()`` raises for a dump cut short (call it when a read timed out).
    """

    def __init__(self, elf: Path | None = None, tool: str = ADDR2LINE) -> None:
        self.elf = elf
        self.tool = tool
        self._window = ""
        self._raised = False
        self.last_crash: str | None = None

    def __call__(self, data: bytes) -> None:
        self._window = (self._window + data.decode("latin-1")).replace("\r", "")[-4096:]
        if not self._raised and crash_complete(self._window):
            self._raise()

    @property
    def crashed(self) -> bool:
        """A dump was seen since the last ``reset()``."""
        return self._raised

    def check(self) -> None:
        if not self._raised and _HEADER.search(self._window):
            self._raise()

    def reset(self) -> None:
        """Forget what was seen (after a reset the board is usable again)."""
        self._window = ""
        self._raised = False

    def _raise(self) -> None:
        dump = parse_crash(self._window)
        assert dump is not None
        self._raised = True
        self.last_crash = decode_crash(dump, self.elf, self.tool)
        raise BoardCrashed(self.last_crash, self._window.encode("latin-1"))
