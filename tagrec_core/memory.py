"""Giving freed memory back to the operating system, and keeping the garbage collector off what lives forever.

Building a model's index allocates and frees many arrays of a few megabytes. glibc serves those from its
heap and keeps the freed pages, so a process that loaded the shipped Stack Overflow ranker stayed at
about 455 MB resident although it holds about 320 MB (measured: ``malloc_trim`` brought it to 323 MB).

A process that imported torch and loaded the shipped models tracks about 180,000 objects (torch's functions,
descriptors and types, almost none of them ours), and each full collection of Python's cyclic garbage collector
walks all of them: about 100 ms with every thread stopped. Under load the bridge ran one every second or two,
and those pauses were its p99 latency. They live as long as the process, so ``freeze_long_lived`` takes them
out of every later collection.
"""

from __future__ import annotations

import ctypes
import gc
import sys

__all__ = ["freeze_long_lived", "release_free_memory"]


def freeze_long_lived() -> None:
    """Collect garbage once, then exempt every object alive now from all later collections (``gc.freeze``).

    Call once the long-lived objects exist (modules imported, a model loaded and warmed up). Costs one full
    collection (~100 ms) now instead of one every few thousand allocations later. What is frozen is still
    freed by reference counting when dropped; only a reference cycle among frozen objects would outlive its
    last reference, so call it after work that leaves garbage, not before.
    """
    gc.collect()
    gc.freeze()


def release_free_memory() -> None:
    """Return the C heap's free pages to the OS (glibc's ``malloc_trim``); nothing elsewhere.

    Safe to call at any time from any thread; costs a few milliseconds. Other C libraries (musl, macOS,
    Windows) have no such call or already return memory, so there it does nothing.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return
    trim(0)
