"""A sliding-window rate limit, shared by whoever must stop one client from asking too often: the
hub's dossier lookups (SPEC section 7: 10 in any 60 s), the follow-up's lookups by SMS and the
console's phone pages."""
from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable

LIMIT, WINDOW_S = 10, 60.0
MAX_KEYS = 10_000          # beyond this many clients, idle ones are forgotten so memory stays bounded


class RateLimiter:
    """At most ``limit`` events per key in any ``window`` seconds (a sliding window)."""

    def __init__(self, limit: int = LIMIT, window: float = WINDOW_S, clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self.clock = limit, window, clock
        self.events: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, key: str) -> bool:
        now = self.clock()
        q = self.events[key]
        while q and q[0] <= now - self.window:
            q.popleft()
        if len(q) >= self.limit:
            return False
        q.append(now)
        if len(self.events) > MAX_KEYS:
            for k in [k for k, v in self.events.items() if not v or v[-1] <= now - self.window]:
                del self.events[k]
        return True
