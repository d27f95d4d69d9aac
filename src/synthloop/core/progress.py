"""One log line per batch or epoch with counts and the time left, so a long job's log says where it is.

Jobs write to their log file (core.jobs.start), where Hugging Face's progress bars are switched off:
a carriage-return bar is unreadable there, a line per step with an estimate is not.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable

LOG = logging.getLogger("synthloop.progress")


def duration(seconds: float) -> str:
    """'42 s', '3 min 05 s', '2 h 07 min': short enough for a log line."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class Progress:
    """Counts done out of `total` and the time left, extrapolated from the mean time per item so far.

    `already` items were done before this process started (a resumed fine-tune): they count as done
    but not in the rate. `clock` is injectable so that tests check the estimate without sleeping.
    """

    def __init__(
        self,
        what: str,
        total: int,
        unit: str = "items",
        logger: logging.Logger | None = None,
        clock: Callable[[], float] = time.monotonic,
        already: int = 0,
        every: int = 1,
    ):
        self.what, self.total, self.unit, self.every = what, int(total), unit, max(1, int(every))
        self.logger, self.clock = logger or LOG, clock
        self.done = self.already = int(already)
        self.started = clock()

    def remaining_seconds(self) -> float | None:
        """Mean seconds per item done here × items left; None before the first item is done."""
        if self.done <= self.already:
            return None
        return (self.clock() - self.started) / (self.done - self.already) * max(0, self.total - self.done)

    def line(self, **extra) -> str:
        elapsed = self.clock() - self.started
        share = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
        left = self.remaining_seconds()
        parts = [f"{self.what}: {self.done}/{self.total} {self.unit}{share}", f"{duration(elapsed)} elapsed"]
        parts.append(
            f"about {duration(left)} left" if left is not None and self.done < self.total else "done" if self.done >= self.total else ""
        )
        parts += [f"{key} {value:.4g}" if isinstance(value, float) else f"{key} {value}" for key, value in extra.items()]
        return ", ".join(p for p in parts if p)

    def step(self, n: int = 1, **extra) -> str | None:
        """Count `n` more items done and log the line (returned for tests), every `every` items and at the end."""
        done = self.done + n
        if done // self.every > self.done // self.every or done >= self.total:
            return self.update(done, **extra)
        self.done = done
        return None

    def update(self, done: int, **extra) -> str:
        """Set the count done (e.g. the Trainer's global step) and log the line."""
        self.done = int(done)
        text = self.line(**extra)
        self.logger.info(text)
        return text


PROGRESS_BAR_SWITCHES = {
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",  # hub downloads; transformers' own bars follow it when imported
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",  # datasets' map/filter bars
    "TQDM_DISABLE": "1",  # any other tqdm bar (tqdm >= 4.66 reads it)
}


def quiet_progress_bars() -> None:
    """Progress bars off in job logs, by environment, before transformers or datasets are imported
    (importing them here would cost seconds in every analysis job)."""
    for name, value in PROGRESS_BAR_SWITCHES.items():
        os.environ[name] = value
