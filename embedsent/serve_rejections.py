"""Rate-limited logging of the requests that ``embedsent serve`` rejects.

A client that keeps sending bad requests would otherwise add one warning per
request to the server log. Each rejection is logged at DEBUG level. A
WARNING line with their count is logged at most once per interval while the
server runs, and once more when it closes, for the rejections not counted yet.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable

__all__ = ["REJECTION_COUNT_SECONDS", "RejectionCounter"]

# The server's logger, so that these lines come from the same logger as the
# server's other lines.
logger = logging.getLogger("embedsent.serve")

# Minimum seconds between two count lines of rejected requests.
REJECTION_COUNT_SECONDS = 60.0


class RejectionCounter:
    """Log each rejected request at DEBUG level and their count as a warning.

    ``record`` logs the rejection's line at DEBUG level and counts it by
    status code. The first rejection, and the first that comes ``interval``
    seconds or more after the last count line, log a count line at WARNING
    level: the number of rejections per status since the last count line
    (or since the start) and the latest rejection's line. ``flush`` logs the
    count still pending, as the server does when it closes. Thread-safe.
    """

    def __init__(
        self,
        interval: float = REJECTION_COUNT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self.clock = clock
        self._lock = threading.Lock()
        self._counts: Counter[int] = Counter()
        self._latest = ""
        self._last_line: float | None = None

    def record(self, status: int, line: str) -> None:
        """Count one rejected request with ``status``, described by ``line``."""
        logger.debug("%s", line)
        with self._lock:
            self._counts[status] += 1
            self._latest = line
            now = self.clock()
            if self._last_line is None or now - self._last_line >= self.interval:
                self._log_count(now)

    def flush(self) -> None:
        """Log the count of rejections not logged since the last line, if any."""
        with self._lock:
            if self._counts:
                self._log_count(self.clock())

    def _log_count(self, now: float) -> None:
        total = sum(self._counts.values())
        requests = "request" if total == 1 else "requests"
        statuses = ", ".join(
            f"{count} with status {status}"
            for status, count in sorted(self._counts.items())
        )
        if self._last_line is None:
            since = "since the server started"
        else:
            since = f"in the {now - self._last_line:.0f} s since the last such line"
        logger.warning(
            "rejected %d %s %s (%s); the latest: %s. Each rejected request is "
            "logged at DEBUG level (embedsent -vv serve), and this count at most "
            "once every %g s",
            total,
            requests,
            since,
            statuses,
            self._latest,
            self.interval,
        )
        self._last_line = now
        self._counts.clear()
