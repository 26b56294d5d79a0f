"""Process-wide protections for the user's text in memory.

Decrypted profile text passes through buffers that the C allocator later hands to other
libraries. Chroma's HNSW index allocates its node storage without zeroing it and writes unused
link slots to disk as they are, so a freed buffer's plaintext could end up in the index files.
With glibc, ``mallopt(M_PERTURB)`` makes the allocator fill every block it hands out and wipe
every block it takes back; :func:`wipe_freed_memory` turns that on once, at process start.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

#: glibc's ``M_PERTURB`` parameter for ``mallopt``.
_M_PERTURB = -6
#: Freed bytes become this value; new blocks its complement.
_PATTERN = 0xA5
_done = False


def wipe_freed_memory() -> bool:
    """Ask the C allocator to wipe freed memory and fill new blocks; ``False`` where it cannot
    (not Linux with glibc)."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    _done = bool(mallopt(_M_PERTURB, _PATTERN))
    return _done
