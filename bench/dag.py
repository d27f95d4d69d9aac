"""DAG build time: a large synthloop study vs a trivial Snakefile with the same number of jobs.

Two studies, each written to a temporary config: `clusters` (the default) is
presets/kovac2025-mini.yaml with hundreds of clusters (2 datasets x 200 clusters x 2 ratios x
3 generations, ~9,700 jobs: the study-2 shape the issue names); `default` is config.yaml with
more seeds and generations. Both workflows are dry-run (`--dry-run --quiet rules`, which
builds the whole DAG and prints only the job-count table) into fresh temporary directories,
as separate processes timed from start to exit (Python and Snakemake start-up included in
both). Prints both times, both peak memories (the dry-run process's maximum resident set),
both job counts (parsed from the dry runs) and the ratio; target <= 1.5x. --profile FILE also runs the synthloop dry run under cProfile and prints the
costliest functions of the workflow's own code (rules/*.smk, src/synthloop).

    python bench/dag.py                                  # study 2, 200 clusters per dataset: ~9,700 jobs
    python bench/dag.py --study default --seeds 60       # study 1: 60 seeds x 4 strategies x 10 generations, ~9,900 jobs
    python bench/dag.py --clusters 8                     # small
    python bench/dag.py --profile /tmp/dag.prof
    python bench/dag.py --slices presets/kovac2025-recursive-loops.yaml            # dry-run every slice of the full study 2
    python bench/dag.py --slices presets/kovac2025-recursive-loops.yaml --only twitter-r0.25 --mem-cap-gb 6
    python bench/dag.py --slices presets/kovac2025-recursive-loops.yaml --analysis --analysis-clusters 20   # the last step, 1/10 scale

--slices dry-runs each slice of a study (synthloop.studies.text_loop.slices, by dataset x ratio unless
--by says otherwise) in turn, each under an address-space cap (prlimit --as; a slice that needs more fails
instead of taking the machine) and a time limit, and prints one row per slice and the total.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DRY_RUN = ["--dry-run", "--quiet", "rules"]

TRIVIAL = """\
N = int(config["jobs"])  # (Snakemake's --config refuses one-letter keys)


rule all:
    input:
        expand("out/{i}.txt", i=range(N)),


rule make:
    output:
        "out/{i}.txt",
    shell:
        "touch {output}"
"""


def job_counts(output: str) -> dict[str, int]:
    """Rule -> jobs from the dry run's 'Job stats' table (printed twice; the last one wins)."""
    table = output.rsplit("Job stats:", 1)[-1]
    counts = dict((rule, int(n)) for rule, n in re.findall(r"^(\w+)\s+(\d+)\s*$", table, flags=re.M))
    if "total" not in counts:
        raise RuntimeError(f"no job stats in the dry run's output:\n{output[-3000:]}")
    return counts


def dry_run(
    snakefile: Path,
    workdir: Path,
    configfile: Path | None = None,
    config: list[str] = (),
    profile: Path | None = None,
    mem_cap_gb: float | None = None,
    timeout: float | None = None,
    extra: list[str] = (),
):
    """Wall and CPU (user + system) seconds and peak resident MB of the dry-run process, and its job counts.
    mem_cap_gb: its address space is capped (prlimit execs the dry run, so the figures are still its own);
    timeout: killed after that many seconds."""
    workdir.mkdir(parents=True, exist_ok=True)
    cap = ["prlimit", f"--as={int(mem_cap_gb * 2**30)}"] if mem_cap_gb else []
    prefix = [*cap, sys.executable, *(["-m", "cProfile", "-o", str(profile)] if profile else []), "-m", "snakemake"]
    cmd = [*prefix, "--snakefile", str(snakefile), "--directory", str(workdir), *DRY_RUN]
    if configfile:
        cmd += ["--configfile", str(configfile)]
    if config:
        cmd += ["--config", *config]
    cmd += list(extra)
    with tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, text=True)
        timer = threading.Timer(timeout, process.kill) if timeout else None
        if timer:
            timer.start()
        _, status, usage = os.wait4(process.pid, 0)  # this child's own rusage (RUSAGE_CHILDREN would mix runs)
        if timer:
            timer.cancel()
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{output[-6000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return (seconds, cpu, usage.ru_maxrss / 1024), job_counts(output)  # ru_maxrss: KiB on Linux


def study_config(study: str, seeds: int, generations: int, clusters: int) -> dict:
    if study == "clusters":
        config = yaml.safe_load((ROOT / "presets" / "kovac2025-mini.yaml").read_text())
        config["chains"]["clusters"]["n"] = clusters
    else:
        config = yaml.safe_load((ROOT / "config.yaml").read_text())
        config["seeds"] = list(range(seeds))
        config["generations"] = generations
    config["study"] = "dagbench"
    return config


def describe(study: str, config: dict) -> str:
    chains = config["chains"]
    if study == "clusters":
        datasets = chains["dataset"] if isinstance(chains["dataset"], list) else [chains["dataset"]]
        return (
            f"{len(datasets)} datasets x {chains['clusters']['n']} clusters x {len(chains['ratios'])} ratios x "
            f"{len(config['seeds'])} seed(s) x {config['generations']} generations (presets/kovac2025-mini.yaml scaled)"
        )
    return (
        f"{len(chains['strategies'])} strategies x {len(config['seeds'])} seeds x {config['generations']} generations (config.yaml scaled)"
    )


def print_profile(profile: Path, top: int) -> None:
    import pstats

    stats = pstats.Stats(str(profile))
    total = max(stats.total_tt, 1e-9)
    print(f"\ncProfile of the synthloop dry run ({total:.1f} s of CPU in Python): top {top} by cumulative time")
    stats.sort_stats("cumulative").print_stats(top)
    own = [
        (ct, nc, f"{Path(file).name}:{line}({name})")
        for (file, line, name), (_, nc, _, ct, _) in stats.stats.items()
        if "/rules/" in file or "synthloop" in file or file.endswith("Snakefile")
    ]
    print("the workflow's own functions (rules/*.smk, Snakefile, src/synthloop) by cumulative time:")
    for ct, nc, where in sorted(own, reverse=True)[:top]:
        print(f"{ct:9.2f} s {nc:9d} calls  {where}")


def dry_run_slices(preset: Path, by: str, only: list[str] | None, mem_cap_gb: float, timeout: float) -> None:
    """One capped dry run per slice, each into a fresh directory; rows as they finish, then the totals."""
    from synthloop.studies.text_loop.slices import load, name, slice_config, slices

    config = load(preset)
    found = [s for s, _ in slices(config, tuple(by.split(",")))]
    found = [s for s in found if not only or name(s) in only]
    print(
        f"{config['study']}: {len(found)} slice(s) by {by}; cap {mem_cap_gb} GB address space, {timeout:.0f} s; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(f"{'slice':<20}{'jobs':>8}{'wall s':>9}{'CPU s':>8}{'peak MB':>9}")
    total, failures = [0, 0.0, 0.0, 0.0], 0
    with tempfile.TemporaryDirectory(prefix="bench-slices-") as tmp:
        for selection in found:
            configfile = slice_config(preset, selection, Path(tmp) / "configs")
            began = time.perf_counter()
            try:
                (wall, cpu, peak), jobs = dry_run(
                    ROOT / "Snakefile", Path(tmp) / name(selection), configfile, mem_cap_gb=mem_cap_gb, timeout=timeout
                )
            except RuntimeError as failed:  # over the cap or the time limit: a row that says so, and on to the next slice
                print(f"{name(selection):<20}{'FAILED':>8}{time.perf_counter() - began:>9.1f}  {str(failed)[-300:]!r}", flush=True)
                failures += 1
                continue
            print(f"{name(selection):<20}{jobs['total']:>8}{wall:>9.1f}{cpu:>8.1f}{peak:>9.0f}  load {os.getloadavg()[0]:.1f}", flush=True)
            total = [total[0] + jobs["total"], total[1] + wall, total[2] + cpu, max(total[3], peak)]
    print(f"{'all':<20}{total[0]:>8}{total[1]:>9.1f}{total[2]:>8.1f}{total[3]:>9.0f}  (peak: the largest slice's); {failures} failed")


def dry_run_analysis(preset: Path, clusters: int | None, mem_cap_gb: float, timeout: float) -> None:
    """The last step of a sliced study: what the slices made and the analysis reads exists (every generation's
    texts, every chain's metrics table; empty files here), and the study-wide analyses are planned with the
    chain rules off, as `slices run --analysis` does."""
    from synthloop.studies.text_loop.plan import Plan
    from synthloop.studies.text_loop.slices import CHAIN_RULES, load, slice_config, workflow_rules

    raw = yaml.safe_load(preset.read_text())
    if clusters:
        raw["chains"]["clusters"]["n"] = clusters
    with tempfile.TemporaryDirectory(prefix="bench-analysis-") as tmp:
        tmp = Path(tmp)
        (tmp / "study.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
        config = load(tmp / "study.yaml")
        patterns = {
            "generated": "results/{study}/chains/{chain}/g{gen}/generated.parquet",  # as rules/text_loop/*.smk register them
            "chain_metrics": "results/{study}/chains/{chain}/metrics.parquet",
        }
        plan = Plan(config, lambda name, **w: patterns.get(name, "results/{study}/" + name).format(study=config["study"], **w), "results")
        made = [*plan.generated_texts(), *(patterns["chain_metrics"].format(study=config["study"], chain=c) for c in plan.chains)]
        workdir = tmp / "run"
        start = time.perf_counter()
        for file in made:
            (workdir / file).parent.mkdir(parents=True, exist_ok=True)
            (workdir / file).touch()
        print(
            f"{config['study']} with {len(plan.chains)} chains: {len(made)} chain files made empty in {time.perf_counter() - start:.0f} s",
            flush=True,
        )
        configfile = slice_config(tmp / "study.yaml", None, tmp / "configs")
        rules = workflow_rules(configfile, ["--snakefile", str(ROOT / "Snakefile"), "--directory", str(workdir)])
        allowed = [r for r in rules if r not in CHAIN_RULES]
        try:
            (wall, cpu, peak), jobs = dry_run(
                ROOT / "Snakefile", workdir, configfile, mem_cap_gb=mem_cap_gb, timeout=timeout, extra=["--allowed-rules", *allowed]
            )
        except RuntimeError as failed:
            print(failed, flush=True)  # now, not after the files are removed
            raise
        print(
            f"analysis dry run: {jobs['total']} jobs ({', '.join(f'{r} {n}' for r, n in jobs.items() if r != 'total')}); "
            f"{wall:.1f} s wall, {cpu:.1f} s CPU, {peak:.0f} MB peak",
            flush=True,
        )
        print(f"removing the {len(made)} files ...", flush=True)  # minutes on a busy disk: the figures are already out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--study", choices=["clusters", "default"], default="clusters")
    parser.add_argument("--clusters", type=int, default=200, help="clusters per dataset (--study clusters)")
    parser.add_argument("--seeds", type=int, default=60, help="seeds (--study default: chains = strategies x seeds)")
    parser.add_argument("--generations", type=int, default=10, help="--study default")
    parser.add_argument("--repeats", type=int, default=1, help="dry runs of each (alternating); the fastest counts")
    parser.add_argument("--no-warm-up", dest="warm_up", action="store_false", help="skip the untimed first dry run of each")
    parser.add_argument("--profile", type=Path, help="also profile the synthloop dry run into this file and print the top functions")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--slices", type=Path, help="a study config: dry-run each of its slices instead (see the module docstring)")
    parser.add_argument("--by", default="dataset,ratio", help="--slices: slice keys")
    parser.add_argument("--only", action="append", help="--slices: only this slice (repeatable)")
    parser.add_argument("--mem-cap-gb", type=float, default=6.0, help="--slices: address-space cap per dry run")
    parser.add_argument("--timeout", type=float, default=1800, help="--slices: seconds per dry run")
    parser.add_argument(
        "--analysis", action="store_true", help="--slices: plan the study-wide analyses over every slice's (empty) chain files instead"
    )
    parser.add_argument("--analysis-clusters", type=int, help="--analysis: clusters per dataset (scale the study down)")
    args = parser.parse_args()
    if args.slices and args.analysis:
        return dry_run_analysis(args.slices, args.analysis_clusters, args.mem_cap_gb, args.timeout)
    if args.slices:
        return dry_run_slices(args.slices, args.by, args.only, args.mem_cap_gb, args.timeout)

    with tempfile.TemporaryDirectory(prefix="bench-dag-") as tmp:
        tmp = Path(tmp)
        configfile = tmp / "study.yaml"
        study = study_config(args.study, args.seeds, args.generations, args.clusters)
        configfile.write_text(yaml.safe_dump(study, sort_keys=False))
        (tmp / "trivial").mkdir()
        trivial = tmp / "trivial" / "Snakefile"
        trivial.write_text(TRIVIAL)

        if args.warm_up:  # an untimed dry run of each first: file cache, byte-compiled modules
            _, study_jobs = dry_run(ROOT / "Snakefile", tmp / "warm-up", configfile)
            dry_run(trivial, tmp / "warm-up-trivial", config=[f"jobs={study_jobs['total'] - 1}"])
        times = {"synthloop": [], "trivial": []}
        for repeat in range(args.repeats):
            t, study_jobs = dry_run(ROOT / "Snakefile", tmp / f"study{repeat}", configfile)
            times["synthloop"].append(t)
            # the trivial workflow gets as many jobs as the study (its `all` is one of them)
            t, trivial_jobs = dry_run(trivial, tmp / f"trivial{repeat}", config=[f"jobs={study_jobs['total'] - 1}"])
            times["trivial"].append(t)
        if args.profile:
            dry_run(ROOT / "Snakefile", tmp / "profiled", configfile, profile=args.profile)

    best = {name: min(t[0] for t in ts) for name, ts in times.items()}
    cpu = {name: min(t[1] for t in ts) for name, ts in times.items()}
    peak = {name: max(t[2] for t in ts) for name, ts in times.items()}
    print(f"synthloop study: {describe(args.study, study)}")
    print("per rule: " + ", ".join(f"{rule} {count}" for rule, count in study_jobs.items() if rule != "total"))
    for name, jobs in (("synthloop", study_jobs), ("trivial", trivial_jobs)):
        print(
            f"{name + ' dry run:':<19}{jobs['total']:>7} jobs  {best[name]:7.2f} s wall  {cpu[name]:7.2f} s CPU  {peak[name]:7.0f} MB peak  ({1000 * best[name] / jobs['total']:.2f} ms/job)"
        )
    if args.repeats > 1:
        print("all wall times: " + "; ".join(f"{name} " + ", ".join(f"{t[0]:.2f}" for t in ts) for name, ts in times.items()))
    print(
        f"ratio synthloop / trivial: {best['synthloop'] / best['trivial']:.2f}x wall, {cpu['synthloop'] / cpu['trivial']:.2f}x CPU (target <= 1.5x); memory {peak['synthloop'] / peak['trivial']:.2f}x"
    )
    if args.profile:
        print_profile(args.profile, args.top)


if __name__ == "__main__":
    main()
