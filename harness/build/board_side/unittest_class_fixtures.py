# Appended to the pinned unittest module (pycopy-unittest, sources.toml [tools.unittest]) when
# harness/build/board_libs.py builds the board's /lib/unittest.mpy; runs on the board.
#
# setUpClass/tearDownClass, as CPython's unittest and micropython-lib's have them: that
# module calls neither, and MicroPython's tests/extmod_hardware/machine_pwm.py (1.27 and
# later) makes its PWM and input pin in setUpClass. A failing setUpClass is reported as an
# error of that class and its tests are not run, as CPython does.

_run_suite_without_class_fixtures = run_suite  # noqa: F821 (the module this is appended to)


def run_suite(c, test_result):
    set_up_class = getattr(c, "setUpClass", None) if isinstance(c, type) else None
    if set_up_class is None:
        return _run_suite_without_class_fixtures(c, test_result)
    try:
        set_up_class()
    except Exception as ex:
        test_result.errorsNum += 1
        test_result.errors.append((("setUpClass", c), capture_exc(ex)))  # noqa: F821
        print("setUpClass ({}) ... ERROR".format(c.__qualname__))  # noqa: UP032 (any port)
        return []
    try:
        return _run_suite_without_class_fixtures(c, test_result)
    finally:
        getattr(c, "tearDownClass", lambda: None)()
