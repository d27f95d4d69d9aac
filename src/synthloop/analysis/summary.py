"""The end-of-run summary on the console (rules/common.smk `onsuccess:`): where the results are,
the headline figures per strategy at the first and last generation, and the command for the report.

A researcher reads the console first; the full numbers stay in the metrics table and the report.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pandas as pd

from synthloop.analysis.metrics import BASE, from_branch_points, line_labels

MAX_ROWS = 24  # keep the summary short; the rest is in the metrics table
HEADLINE_COLUMNS = {"strategy", "generation", "scorer", "metric", "value"}


def headline(table: pd.DataFrame) -> pd.DataFrame:
    """Per scorer, metric and line (strategy, ratio, branch): the mean over seeds, clusters and domains
    at the line's first and last generation (a branch's first is its branch point)."""
    table = from_branch_points(table[table["generation"] != BASE])  # first = generation 0; the base row stays in the table
    table = table.assign(line=line_labels(table))
    means = table.groupby(["scorer", "metric", "line", "generation"], as_index=False)["value"].mean()
    rows = []
    for (scorer, metric, line), part in means.groupby(["scorer", "metric", "line"], sort=True):
        part = part.sort_values("generation")
        first, last = part.iloc[0], part.iloc[-1]
        rows.append(
            {
                "scorer": scorer,
                "metric": metric,
                "line": line,
                "first_generation": int(first["generation"]),
                "first": first["value"],
                "last_generation": int(last["generation"]),
                "last": last["value"],
            }
        )
    return pd.DataFrame(rows, columns=["scorer", "metric", "line", "first_generation", "first", "last_generation", "last"])


def report_command(snakefile: str | Path, workdir: str | Path, configfiles, results: str) -> str:
    """The `snakemake --report` call that rebuilds this run's report, with absolute paths."""
    workdir = Path(workdir).resolve()
    parts = ["snakemake", "--snakefile", str(Path(snakefile).resolve()), "--directory", str(workdir)]
    for configfile in configfiles or []:
        parts += ["--configfile", str(Path(configfile).resolve())]
    parts += ["--report", str(workdir / results / "report.html")]
    return shlex.join(parts)


def run_summary(results: str | Path, metrics: str | Path | None, command: str) -> str:
    """A few lines: where the results are, the headline figures, how to build the report."""
    results = Path(results).resolve()
    lines = ["", "synthloop: run complete", f"  results: {results}"]
    try:
        table = pd.read_parquet(metrics) if metrics and Path(metrics).exists() else None
    except (OSError, ValueError) as error:  # a finished run must not fail on its summary
        lines.append(f"  headline figures: {metrics} unreadable ({error})")
        table, metrics = None, None
    if table is not None and HEADLINE_COLUMNS <= set(table.columns) and len(table):
        heads = headline(table)
        lines.append("  headline (mean over seeds; first -> last generation):")
        width = max(len(f"{r.scorer}/{r.metric}") for r in heads.itertuples())
        line_width = max(len(r.line) for r in heads.itertuples())
        for r in heads.head(MAX_ROWS).itertuples():
            name = f"{r.scorer}/{r.metric}"
            lines.append(
                f"    {name:<{width}}  {r.line:<{line_width}}  g{r.first_generation}: {r.first:.4g} -> g{r.last_generation}: {r.last:.4g}"
            )
        if len(heads) > MAX_ROWS:
            lines.append(f"    ... {len(heads) - MAX_ROWS} more rows in {Path(metrics).resolve()}")
    elif metrics:
        lines.append(f"  headline figures: see {Path(metrics).resolve()}")
    lines.append(f"  report: {command}")
    return "\n".join(lines) + "\n"
