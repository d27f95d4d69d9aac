"""One way to make and save a figure: headless backend, integer generation ticks, fixed colours."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # jobs run without a display
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

DPI = 120


def subplots(*args, **kwargs):
    """`plt.subplots` on the headless backend."""
    return plt.subplots(*args, **kwargs)


def integer_ticks(ax, axis: str = "x") -> None:
    """Generations are integers: never half-generation ticks."""
    getattr(ax, f"{axis}axis").set_major_locator(MaxNLocator(integer=True))


def colour_for(name: str, names: list[str]) -> str:
    """The same colour for the same name (e.g. a strategy) in every figure of a study."""
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return cycle[sorted(names).index(name) % len(cycle)]


def colormap(name: str):
    """A named matplotlib colormap (for ordered categories such as lean buckets)."""
    return matplotlib.colormaps[name]


def save(fig, path: str | Path) -> None:
    """Write a figure and free its memory."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
