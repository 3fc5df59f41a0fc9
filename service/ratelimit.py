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
    >>> for n in range(10_001): _ = r.hit(f"client-{n}", now=0.0)
    >>> _ = r.hit("late", now=100.0); len(r._events)  # clients idle for a window are forgotten
    1
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
            if len(self._events) > 10_000:  # forget clients with nothing inside the window any more
                for k in [k for k, v in self._events.items() if not v or v[-1] <= now - self.window]:
                    del self._events[k]
            return 0.0

    def give_back(self, key: str, stamp: float) -> None:
        """Forget an event recorded by :meth:`hit` at ``stamp`` (what it allowed did not happen)."""
        with self._lock:
            events = self._events.get(key)
            if events is not None and stamp in events:
                events.remove(stamp)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def take_idea_slot(request: Request) -> float:
    """Count an idea against this client address's limit before it is written (check and count are one step,
    so parallel submissions cannot all pass), or 429 when the address has sent too many lately. Returns the
    slot, for :func:`give_back_idea_slot` when the idea is then refused."""
    limiter: RateLimiter = request.app.state.idea_limiter
    now = time.monotonic()
    wait = limiter.hit(_client(request), now=now)
    if wait:
        raise HTTPException(429, f"too many ideas from this address; try again in {math.ceil(wait)} s",
                            headers={"Retry-After": str(math.ceil(wait))})
    return now


def give_back_idea_slot(request: Request, slot: float) -> None:
    """Undo :func:`take_idea_slot` for an idea that was refused: only accepted ideas count."""
    request.app.state.idea_limiter.give_back(_client(request), slot)
