"""Freed memory is wiped and new blocks filled, so no stale plaintext reaches index files."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

import pytest

from lampdesk.hardening import wipe_freed_memory


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_new_blocks_hold_no_earlier_contents() -> None:
    assert wipe_freed_memory()
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    secret = b"my bank PIN is under the blue vase"
    first = libc.malloc(4096)
    ctypes.memmove(first, secret, len(secret))
    libc.free(first)
    second = libc.malloc(4096)  # usually the same block again
    try:
        data = ctypes.string_at(second, 4096)
        assert secret not in data
        assert set(data[16:]) == {0xA5 ^ 0xFF}, "a new block is filled, not left as it was"
    finally:
        libc.free(second)
