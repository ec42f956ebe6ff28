"""Keeping a long-running service's resident memory near what it uses (SPEC section 9's budgets).

glibc's malloc keeps what a burst freed: an arena per thread that allocated, and large blocks
(a password hash's 16 MiB, SQLite's page caches) served from the heap once the dynamic mmap
threshold has grown. ``settle()`` asks for two arenas and a fixed threshold at start; ``trim()``,
called now and then from a quiet moment, hands freed pages back. Elsewhere than glibc both do
nothing.
"""
from __future__ import annotations

import ctypes

M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8


def _libc():
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


LIBC = _libc()


def settle() -> None:
    """At a service's start: two malloc arenas and a fixed mmap threshold, so a burst (a password hash, a big query)
    does not stay resident. Nothing outside glibc."""
    if LIBC is not None and hasattr(LIBC, "mallopt"):
        LIBC.mallopt(M_ARENA_MAX, 2)
        LIBC.mallopt(M_MMAP_THRESHOLD, 256 * 1024)


def trim() -> None:
    """Give freed heap pages back to the system; cheap, called from a quiet moment. Nothing outside glibc."""
    if LIBC is not None and hasattr(LIBC, "malloc_trim"):
        LIBC.malloc_trim(0)
