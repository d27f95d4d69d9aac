"""A paper's finding tested against per-seed values: the mean, its 95% t-interval across seeds, a verdict.

A finding is either an effect with a sign ("accuracy rises": `expect="increase"` or `"decrease"`) or the
absence of one ("dataset bias does not amplify model bias": `expect="none"`, with an equivalence margin
fixed before the run). Verdicts:

- increase/decrease: reproduced when the interval excludes 0 on the paper's side, not reproduced when it
  excludes 0 on the other side, inconclusive when it contains 0;
- none: reproduced when the interval lies within ±margin, not reproduced when it lies wholly outside it,
  inconclusive otherwise (an interval wider than the margin cannot show an absence);
- fewer than MIN_SEEDS seeds: inconclusive, whatever the values.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from synthloop.core.intervals import mean_ci

EXPECT = ("increase", "decrease", "none")
MIN_SEEDS = 3
COLUMNS = ["claim", "scope", "expect", "margin", "mean", "low", "high", "seeds", "verdict"]


def verdict(low: float, high: float, expect: str, margin: float | None = None, seeds: int = MIN_SEEDS) -> str:
    if expect not in EXPECT:
        raise ValueError(f"unknown expectation {expect!r}; allowed: {', '.join(EXPECT)}")
    if seeds < MIN_SEEDS or np.isnan(low) or np.isnan(high):
        return "inconclusive"
    if expect == "none":
        if margin is None or margin <= 0:
            raise ValueError("a finding of no effect needs a positive equivalence margin")
        if -margin <= low and high <= margin:
            return "reproduced"
        return "not reproduced" if low > margin or high < -margin else "inconclusive"
    sign = 1.0 if expect == "increase" else -1.0
    low, high = sorted((sign * low, sign * high))
    return "reproduced" if low > 0 else "not reproduced" if high < 0 else "inconclusive"


def claim_row(claim: str, scope: str, per_seed, expect: str, margin: float | None = None) -> dict:
    """One table row: the per-seed values' mean, 95% interval and verdict."""
    mean, low, high, seeds = mean_ci(per_seed)
    return {
        "claim": claim,
        "scope": scope,
        "expect": expect,
        "margin": margin,
        "mean": mean,
        "low": low,
        "high": high,
        "seeds": seeds,
        "verdict": verdict(low, high, expect, margin, seeds),
    }


def command_line(claims, doc: str, results_help: str, argv: list[str] | None = None, of_results=None) -> None:
    """A study's claims module run as a command: its table from results/<study>/metrics.parquet, as CSV or Markdown
    (`of_results`, given a results directory, makes the table where a study's claims read more than the metrics)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", type=Path, help=results_help)
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table instead of CSV")
    args = parser.parse_args(argv)
    table = of_results(args.results) if of_results else claims(pd.read_parquet(args.results / "metrics.parquet"))
    print(table.to_markdown(index=False, floatfmt=".3f") if args.markdown else table.to_csv(index=False), end="\n")
