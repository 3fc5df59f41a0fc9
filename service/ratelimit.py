"""A small in-process rate limiter for the public idea submission (a sliding window per client address)."""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque

from fastapi import HTTPException, Request


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds for each key.

    >>> r = RateLimiter(2, 60.0); [r.hit("a", now=0.0) for _ in range(3)]
    [0.0, 0.0, 60.0]
    """

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._events: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> tuple[deque[float], float]:
        """The key's events within the window (older ones dropped) and the seconds to wait before the
        next is allowed (0: now); call with the lock held."""
        events = self._events[key]
        while events and events[0] <= now - self.window:
            events.popleft()
        return events, (max(events[0] + self.window - now, 0.001) if len(events) >= self.limit else 0.0)

    def wait(self, key: str, now: float | None = None) -> float:
        """Seconds to wait before the next event for ``key`` is allowed (0: now); records nothing."""
        with self._lock:
            return self._recent(key, time.monotonic() if now is None else now)[1]

    def hit(self, key: str, now: float | None = None) -> float:
        """Record an event; returns 0 when it is allowed, else the seconds to wait (nothing is recorded)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            events, wait = self._recent(key, now)
            if wait:
                return wait
            events.append(now)
            if len(self._events) > 10_000:  # forget idle clients
                for k in [k for k, v in self._events.items() if not v]:
                    del self._events[k]
            return 0.0


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def check_idea_limit(request: Request) -> None:
    """429 when this client address has submitted too many ideas lately (records nothing: only an idea that
    is then accepted counts, through :func:`count_idea`)."""
    limiter: RateLimiter = request.app.state.idea_limiter
    wait = limiter.wait(_client(request))
    if wait:
        raise HTTPException(429, f"too many ideas from this address; try again in {math.ceil(wait)} s",
                            headers={"Retry-After": str(math.ceil(wait))})


def count_idea(request: Request) -> None:
    """Count an accepted idea against this client address's limit."""
    limiter: RateLimiter = request.app.state.idea_limiter
    limiter.hit(_client(request))
