"""Wall time of a study end to end, and where it goes: the per-rule sums of the benchmark files.

Runs `snakemake --cores N` on a config (the embedded default, config.yaml, unless
--configfile says otherwise) into a fresh temporary --directory, then reads every job's
benchmark file, results/<study>/benchmarks/<rule>/.../*.tsv, and prints per rule the jobs,
the sum of wall seconds (`s`) and of CPU seconds (`cpu_time`), and the largest max_rss.
Job times include each job's Python start-up and imports (torch and transformers: seconds);
with --cores > 1 jobs overlap, so the sum of `s` can exceed the wall time. The load average
before and after is printed: on a shared machine the wall time is inflated, the CPU seconds much less.
For a text-loop study it then prints bench/default_check.py's figures: generation-0 and
last-generation readability (quality index, word runs, lean gap) of every chain, and the trends.
The repository's models/ is linked into the fresh directory, so that a relative
base_model.source such as the default's models/sotu-gpt2-small resolves as under `make run`.

    python bench/default_run.py                                   # the embedded default
    python bench/default_run.py --configfile tests/configs/tiny.yaml
    python bench/default_run.py --configfile tests/configs/tiny.yaml results/tiny/theory/weighted_mle.csv  # some targets only
    python bench/default_run.py --keep /tmp/default-run           # keep the results tree there
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def benchmark_table(results: Path):
    """One row per rule: jobs, sum of s, sum of cpu_time, max of max_rss (from every job's benchmark file)."""
    import pandas as pd

    rows = []
    for tsv in sorted((results / "benchmarks").rglob("*.tsv")):
        rule = tsv.relative_to(results / "benchmarks").parts[0]
        frame = pd.read_csv(tsv, sep="\t")
        rows.append({"rule": rule, "s": frame["s"].sum(), "cpu_time": frame["cpu_time"].sum(), "max_rss": frame["max_rss"].max()})
    if not rows:
        return pd.DataFrame(columns=["rule", "jobs", "s", "cpu_time", "max_rss"])
    table = (
        pd.DataFrame(rows).groupby("rule").agg(jobs=("s", "size"), s=("s", "sum"), cpu_time=("cpu_time", "sum"), max_rss=("max_rss", "max"))
    )
    return table.sort_values("s", ascending=False).reset_index()


def check_figures(results: Path) -> str:
    """bench/default_check.py's report on a finished text-loop run (empty for other kinds or without lean/quality scores)."""
    if not list(results.glob("chains/*/g0/scores/quality.texts.parquet")) or not list(
        results.glob("chains/*/g0/scores/lean.texts.parquet")
    ):
        return ""
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "default_check.py"), str(results)], capture_output=True, text=True)
    return done.stdout + done.stderr[-3000:]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configfile", type=Path, default=ROOT / "config.yaml")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="run in this (new or empty) directory and keep it, instead of a temporary one")
    parser.add_argument("targets", nargs="*", help="only these targets (default: the workflow's `all`)")
    args = parser.parse_args()

    configfile = args.configfile.resolve()
    study = yaml.safe_load(configfile.read_text())["study"]
    workdir = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="bench-default-run-"))
    if args.keep and workdir.exists() and any(workdir.iterdir()):
        parser.error(f"--keep {workdir}: not empty; the run must start fresh")
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "models").symlink_to(ROOT / "models", target_is_directory=True)
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(configfile),
        "--cores",
        str(args.cores),
        *args.targets,
    ]
    load_before = os.getloadavg()
    try:
        start = time.perf_counter()
        result = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if result.returncode != 0:
            sys.exit(f"snakemake failed ({' '.join(cmd)}):\n{result.stdout[-2000:]}\n{result.stderr[-5000:]}")
        load_after = os.getloadavg()
        table = benchmark_table(workdir / "results" / study)
        readability = check_figures(workdir / "results" / study)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    print(
        f"{configfile.name} (study {study}), --cores {args.cores}, fresh directory{'' if not args.keep else ' ' + str(workdir)}"
        + (f", targets {' '.join(args.targets)}" if args.targets else "")
    )
    print(f"{'rule':<26}{'jobs':>5}{'sum s':>10}{'sum cpu s':>11}{'share of s':>12}{'max rss MB':>12}")
    total_s = table["s"].sum()
    for row in table.itertuples():
        print(f"{row.rule:<26}{row.jobs:>5}{row.s:>10.1f}{row.cpu_time:>11.1f}{row.s / total_s:>12.1%}{row.max_rss:>12.0f}")
    print(f"{'all jobs':<26}{table['jobs'].sum():>5}{total_s:>10.1f}{table['cpu_time'].sum():>11.1f}")
    print(
        f"total wall time: {wall:.1f} s; sum of job seconds / wall: {total_s / wall:.2f} (above 1: jobs overlapped; "
        "below 1: Snakemake start-up, DAG and scheduling between jobs)"
    )
    print(f"wall time {wall / 60:.1f} min, {table['jobs'].sum()} jobs, {table['cpu_time'].sum() / 60:.1f} CPU-minutes in jobs")
    print(
        f"load average (1, 5, 15 min) before: {', '.join(f'{x:.1f}' for x in load_before)}; after: {', '.join(f'{x:.1f}' for x in load_after)}"
    )
    if readability:
        print()
        print(readability)


if __name__ == "__main__":
    main()
