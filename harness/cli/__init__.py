"""Command-line helpers behind tasks.py: the interactive REPL and ``run`` (interactive.py),
flashing (flash.py), benchmarks (bench.py), the test task's suite runs (test_runner.py) and the
target choice shared with the pytest plugin (targets.py). The top layer: may import any other."""
