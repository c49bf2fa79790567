"""``btree`` on the board: MicroPython's ``extmod/modbtree.c`` on Berkeley DB 1.85 from Debian's
db1-compat (``berkeley-db-patches/``), as the stock ESP8266_GENERIC has it.

A database on the board's filesystem (FAT) and on ``io.BytesIO``: put/get/delete, ordered
iteration and ranges against a host model, reopening and a soft reset keep the data, the file
is Berkeley DB 1.85's btree format (its meta page read on the host), a file that is not a
database is refused, and the GC heap comes back after closing.
"""

from __future__ import annotations

import random
import struct

import pytest

from harness.board import Board
from harness.errors import BoardException

DB = "/test_btree.db"
BTREEMAGIC = 0x053162  # btree/btree.h
BTREEVERSION = 3


@pytest.fixture
def fresh_db(board: Board) -> Board:
    board.exec(f"import btree, os\ntry:\n    os.remove('{DB}')\nexcept OSError:\n    pass")
    return board


def test_put_get_delete_and_ordered_iteration(fresh_db: Board) -> None:
    out = fresh_db.exec(
        f"f = open('{DB}', 'w+b')\n"
        "db = btree.open(f)\n"
        "db[b'3'] = b'three'\n"
        "db[b'1'] = b'one'\n"
        "db[b'2'] = b'two'\n"
        "print(db[b'2'], db.get(b'4'), db.get(b'4', b'dflt'), b'1' in db, b'4' in db)\n"
        "print(list(db.keys()), list(db.values()))\n"
        "print(list(db.items(b'2')))\n"
        "print(list(db.keys(b'1', b'3')), list(db.keys(b'1', b'3', btree.INCL)))\n"
        "print(list(db.keys(None, None, btree.DESC)))\n"
        "del db[b'1']\n"
        "print(list(db))\n"
        "try:\n"
        "    db[b'nope']\n"
        "except KeyError as e:\n"
        "    print('KeyError', e)\n"
        "db.close()\n"
        "f.close()\n").strip().splitlines()
    assert out[0] == "b'two' None b'dflt' True False"
    assert out[1] == "[b'1', b'2', b'3'] [b'one', b'two', b'three']"
    assert out[2] == "[(b'2', b'two'), (b'3', b'three')]"
    assert out[3] == "[b'1', b'2'] [b'1', b'2', b'3']"
    assert out[4] == "[b'3', b'2', b'1']"
    assert out[5] == "[b'2', b'3']"
    assert out[6] == "KeyError"


def test_many_records_match_a_host_model_across_reopen_and_soft_reset(fresh_db: Board) -> None:
    rng = random.Random(8266)
    model: dict[bytes, bytes] = {}
    ops = []
    for _ in range(600):
        key = b"k%04d" % rng.randrange(400)
        if rng.random() < 0.2 and model:
            victim = rng.choice(sorted(model))
            ops.append(("del", victim, b""))
            del model[victim]
        else:
            value = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 120)))
            ops.append(("put", key, value))
            model[key] = value
    big = bytes(range(256)) * 12  # 3 KiB: a value on overflow pages
    model[b"big"] = big
    fresh_db.exec(f"f = open('{DB}', 'w+b')\ndb = btree.open(f)\n")
    for start in range(0, len(ops), 15):  # small pastes: the board compiles each one
        chunk = ops[start:start + 15]
        lines = [f"db[{k!r}] = {v!r}" if op == "put" else f"del db[{k!r}]"
                 for op, k, v in chunk]
        fresh_db.exec("\n".join(lines), timeout=30)
    fresh_db.exec("db[b'big'] = bytes(range(256)) * 12\ndb.close()\nf.close()")
    fresh_db.soft_reset()

    def board_items() -> dict[bytes, bytes]:
        fresh_db.exec(f"import btree, binascii\nf = open('{DB}', 'r+b')\ndb = btree.open(f)")
        keys = fresh_db.eval("list(db.keys())", timeout=30)
        items = {}
        for i in range(0, len(keys), 10):  # hex, 10 at a time: the board's heap is small
            batch = keys[i:i + 10]
            values = fresh_db.eval(f"[binascii.hexlify(db[k]) for k in {batch!r}]",
                                   timeout=30)
            items.update((k, bytes.fromhex(v.decode()))
                         for k, v in zip(batch, values, strict=True))
        fresh_db.exec("db.close()\nf.close()")
        assert keys == sorted(keys)
        return items

    assert board_items() == model
    # The file is Berkeley DB 1.85's: its meta page holds BTREEMAGIC, version 3, 1 KiB pages
    # (the stock port's DEFPSIZE), little-endian as the board writes it.
    head = fresh_db.get(DB)[:12]
    assert struct.unpack("<III", head) == (BTREEMAGIC, BTREEVERSION, 1024)
    assert len(fresh_db.get(DB)) % 1024 == 0


def test_a_database_in_bytesio(board: Board) -> None:
    out = board.exec(
        "import btree, io\n"
        "s = io.BytesIO()\n"
        "db = btree.open(s, pagesize=512, cachesize=2048)\n"
        "for i in range(100):\n"
        "    db[b'%03d' % i] = b'x' * i\n"
        "db.flush()\n"
        "print(len(s.getvalue()) % 512, len(list(db.keys(b'050', b'060'))),\n"
        "      db[b'099'] == b'x' * 99)\n"
        "db.close()\n").split()
    assert out == ["0", "10", "True"]


def test_a_file_that_is_not_a_database_is_refused(fresh_db: Board) -> None:
    # EFTYPE (79 in the board's C library: "inappropriate file type or format"), as upstream.
    # btree.open reads from where the stream is (as MicroPython's own btree does), hence the
    # seek back to the start of what was written.
    with pytest.raises(BoardException, match=r"OSError: 79"):
        fresh_db.exec(f"f = open('{DB}', 'w+b')\nf.write(b'not a btree' * 100)\nf.flush()\n"
                      "f.seek(0)\ntry:\n    btree.open(f)\nfinally:\n    f.close()")


def test_closing_gives_the_heap_back(fresh_db: Board) -> None:
    fresh_db.exec(f"import gc\ndef work(n):\n    f = open('{DB}', 'w+b')\n"
                  "    db = btree.open(f)\n"
                  "    for i in range(n):\n        db[b'%d' % i] = b'v' * 40\n"
                  "    db.close()\n    f.close()\n"
                  "work(10)\n")
    before = fresh_db.eval("(gc.collect(), gc.mem_free())[1]")
    fresh_db.exec("for _ in range(5):\n    work(200)\n", timeout=60)
    after = fresh_db.eval("(gc.collect(), gc.mem_free())[1]")
    assert after >= before - 64, (before, after)
