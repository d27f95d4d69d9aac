"""A data-level positive control run as a command: planted against recovered per seed, a failure when they differ."""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
import pandas as pd


def command_line(
    planted_and_recovered: Callable[[dict, int], pd.DataFrame],
    doc: str,
    planted: str,
    recovered: str,
    floatfmt: str = ".3f",
    argv: list[str] | None = None,
) -> None:
    """Print the control's table over the config's seeds; exit non-zero when a recovered value is not the planted one."""
    from synthloop.studies import load

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("config")
    config = load(parser.parse_args(argv).config)
    table = pd.concat([planted_and_recovered(config, seed) for seed in config["seeds"]], ignore_index=True)
    print(table.to_markdown(index=False, floatfmt=floatfmt))
    if not np.allclose(table[planted], table[recovered]):
        raise SystemExit(f"the {recovered} value differs from the {planted} one")
