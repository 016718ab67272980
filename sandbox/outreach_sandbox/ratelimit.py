"""Fixed one-minute windows per credential, the way SalesBlink counts, scaled in time."""

from __future__ import annotations

import threading
import time


class FixedWindowLimiter:
    """Counts requests per (vendor, credential) in fixed windows of ``window_s`` real seconds."""

    def __init__(self) -> None:
        self.windows: dict[tuple[str, str], tuple[int, int]] = {}
        self.lock = threading.Lock()

    def check(self, vendor: str, key: str, limit: int, window_s: float) -> float | None:
        """None if the request is allowed (and counted), else real seconds until the reset."""
        now = time.monotonic()
        index = int(now // window_s)
        with self.lock:
            current, count = self.windows.get((vendor, key), (index, 0))
            if current != index:
                current, count = index, 0
            if count >= limit:
                return (index + 1) * window_s - now
            self.windows[(vendor, key)] = (current, count + 1)
        return None
