"""``random`` and ``os.urandom``: values from the hardware RNG differ between calls."""

from __future__ import annotations

import ast

from harness.board import Board


def test_urandom_lengths_and_values_differ(board: Board) -> None:
    values = board.eval("[__import__('os').urandom(16) for i in range(8)]")
    assert all(isinstance(v, bytes) and len(v) == 16 for v in values)
    assert len(set(values)) == len(values)
    assert board.eval("len(__import__('os').urandom(0))") == 0


def test_urandom_is_not_constant_within_a_buffer(board: Board) -> None:
    data = board.eval("__import__('os').urandom(256)")
    assert len(set(data)) > 64  # random bytes cover many values


def test_getrandbits_differs_across_calls(board: Board) -> None:
    values = board.eval("[__import__('random').getrandbits(32) for i in range(10)]")
    assert len(set(values)) >= 9
    assert all(0 <= v < 2**32 for v in values)
    assert max(values).bit_length() > 24


def test_random_differs_after_reset(board: Board) -> None:
    # the port seeds its PRNG from the hardware RNG at boot, so boots differ
    first = board.eval("[__import__('random').getrandbits(30) for i in range(4)]")
    board.soft_reset()
    second = board.eval("[__import__('random').getrandbits(30) for i in range(4)]")
    assert first != second


def test_seeded_random_is_reproducible(board: Board) -> None:
    code = "import random\nrandom.seed(1234)\nprint([random.getrandbits(16) for i in range(5)])"
    first = board.exec(code)
    assert first == board.exec(code)
    assert len(set(eval_list(first))) > 1


def eval_list(text: str) -> list[int]:
    return list(ast.literal_eval(text.strip()))
