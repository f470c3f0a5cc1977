"""Keeping freed memory in the process, so each train step does not page-fault it in again.

A train step on NumPy allocates the same large temporaries every step (activations, gradients,
receptive-field blocks). glibc's malloc hands blocks above its mmap threshold (128 KiB at
first, raised as such blocks are freed) back to the kernel when they are freed, and trims the
heap once more than twice that is free at its top; the next step then faults every page in
again and the kernel zeroes it: a fifth of a CNN train step on the 2-core CI machine. gkeras
raises both thresholds once, when the NumPy backend starts: blocks up to 32 MiB (glibc's
largest mmap threshold) come from the heap, and up to 256 MiB of freed heap is kept for reuse.

Left alone where the user set MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_ (their choice),
with GKERAS_KEEP_FREED_MEMORY=0, or where the C library is not glibc.
"""
import ctypes
import os
import sys

M_TRIM_THRESHOLD = -1   # glibc's mallopt parameter numbers (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 256 << 20

_done = False


def _glibc():
    if not sys.platform.startswith('linux'):
        return None
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # only glibc has it
    except (OSError, AttributeError):
        return None
    return libc


def keep_freed_memory():
    """Raise glibc's mmap and trim thresholds (once per process); True if this call did."""
    global _done
    if _done:
        return False
    _done = True
    if os.environ.get('GKERAS_KEEP_FREED_MEMORY', '1') == '0' or any(
            name in os.environ for name in ('MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_')):
        return False
    libc = _glibc()
    if libc is None:
        return False
    mallopt = libc.mallopt
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
