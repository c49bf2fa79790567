"""`invoke build --board ESP8266_GENERIC` stops at once, saying what to provide."""

from pathlib import Path

import pytest

from harness.build import generic
from harness.errors import SetupError


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv(generic.SDK_ENV, raising=False)
    monkeypatch.delenv(generic.CHECKOUT_ENV, raising=False)


def test_nothing_given_names_both_inputs():
    with pytest.raises(SetupError) as err:
        generic.resolve_inputs("ESP8266_GENERIC", None, None)
    text = str(err.value)
    assert "no Espressif SDK given" in text and "no MicroPython checkout given" in text
    assert "ESP8266_SDK_DIR" in text and "git submodule update --init" in text


def _sdk_and_checkout(tmp_path: Path, filled: tuple[str, ...]) -> tuple[Path, Path]:
    """An SDK with its compiler and a checkout whose submodules in ``filled`` have content."""
    sdk = tmp_path / "sdk/xtensa-lx106-elf/bin"
    sdk.mkdir(parents=True)
    (sdk / "xtensa-lx106-elf-gcc").write_text("")
    checkout = tmp_path / "mpy"
    (checkout / "ports/esp8266/boards/ESP8266_GENERIC").mkdir(parents=True)
    for sub in generic.NEEDED_SUBMODULES:
        (checkout / sub).mkdir(parents=True)
        if sub in filled:
            (checkout / sub / "README").write_text("x")
    return tmp_path / "sdk", checkout


def test_checkout_with_empty_submodules_is_refused(tmp_path: Path):
    sdk, checkout = _sdk_and_checkout(tmp_path, filled=("lib/axtls",))
    with pytest.raises(SetupError) as err:
        generic.resolve_inputs("ESP8266_GENERIC", str(sdk), str(checkout))
    text = str(err.value)
    assert "lib/berkeley-db-1.xx is empty" in text and "lib/micropython-lib is empty" in text
    assert "lib/axtls" not in text.split("\n")[0]


def test_complete_inputs_are_accepted(tmp_path: Path):
    sdk, checkout = _sdk_and_checkout(tmp_path, filled=generic.NEEDED_SUBMODULES)
    inputs = generic.resolve_inputs("ESP8266_GENERIC", str(sdk), str(checkout))
    assert inputs.checkout == checkout.resolve()
