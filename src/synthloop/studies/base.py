"""The study-kind contract: what every kind's plan uses, so that each guarantee is built once.

A kind provides `schemas/<kind>.schema.yaml`, `synthloop.studies.<kind>.validate` (`check`, optionally
`prepare`), a plan built on these helpers and `rules/<kind>/rules.smk`. From here it takes:

- `tracked`: a job's inputs are the paths the workflow makes plus every file of a local data file,
  data directory or model directory it reads, so editing one re-runs exactly its dependants (a path
  as a parameter changes nothing when the file's content does); hub ids are not files;
- `check_job_count`: the `max_jobs` refusal, before Snakemake builds a DAG too large to plan;
  `check_local_model`: a model named by a missing local path, refused before any job starts;
- the id vocabulary of core.vocabulary (`chain_id`, `ratio_id`, `seed_id`, `round_id`; `REAL`, `BASE_GENERATION`);
- `COMMON_PATHS` and `path_function`: the files every kind writes; each kind's own table is
  `synthloop.studies.<kind>.paths.PATHS`, and `synthloop.studies.layout(kind)` joins the two;
- `canonical` (core.config) for params and `stable_seed` (core.seeds) for job seeds, re-exported so a
  plan names one module.

Nothing here imports torch or reads data: every SLURM job re-parses the workflow.
"""

from __future__ import annotations

import glob
from collections.abc import Callable, Iterable
from pathlib import Path

from synthloop.core.config import ConfigError, canonical
from synthloop.core.provenance import files_under
from synthloop.core.seeds import stable_seed
from synthloop.core.vocabulary import BASE_GENERATION, REAL, chain_id, ratio_id, round_id, seed_id

__all__ = [
    "BASE_GENERATION",
    "COMMON_PATHS",
    "REAL",
    "canonical",
    "chain_id",
    "check_job_count",
    "check_local_model",
    "flatten",
    "local_files",
    "path_function",
    "ratio_id",
    "round_id",
    "seed_id",
    "stable_seed",
    "tracked",
]

COMMON_PATHS = {
    "table": "results/{study}/tables/{table}.csv",
    "manifest": "results/{study}/manifest.json",
    "archive": "archives/{study}.tar.gz",
    "archive_log": "archives/{study}.log",
    "log": "results/{study}/logs/{rule}/{job}.log",
    "benchmark": "results/{study}/benchmarks/{rule}/{job}.tsv",
}


def path_function(table: dict[str, str], study: str) -> Callable[..., str]:
    """`path(name, **wildcards)`: the rules' path helper and the one the tests give a plan."""

    def path(name: str, **wildcards) -> str:
        return table[name].format(study=study, **wildcards)

    return path


def flatten(value) -> list[str]:
    """Paths given as one string, a list, or a mapping of lists (datasets' data_files: {split: [files]})."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [p for v in value.values() for p in flatten(v)]
    return [p for v in value for p in flatten(v)]


def local_files(*paths) -> list[str]:
    """Every local file the given paths name (a file, each file of a directory, each match of a glob),
    sorted; hub ids and paths that do not exist here name none."""
    found: set[str] = set()
    for path in (p for value in paths for p in flatten(value)):
        matches = glob.glob(path, recursive=True) if glob.has_magic(path) else [path] if Path(path).exists() else []
        found.update(str(f) for f in files_under(matches))
    return sorted(found)


def tracked(paths: Iterable[str], results: str) -> list[str]:
    """The inputs to track for paths a job reads: those the workflow makes (under `results`) and every
    file of the local ones."""
    paths = list(paths)
    made = {p for p in paths if p.startswith(results)}
    return sorted(made | set(local_files([p for p in paths if p not in made])))


def check_job_count(config: dict, factors: list[tuple[str, int]], extra: int = 0) -> int:
    """Refuse a study whose estimated job count (the product of `factors`, plus `extra` study-wide jobs)
    is above `max_jobs`, naming each factor; returns the estimate."""
    estimate = 1
    for _, count in factors:
        estimate *= count
    estimate += extra
    if estimate > config["max_jobs"]:
        product = " x ".join(f"{name} ({count})" for name, count in factors) + (f" + {extra}" if extra else "")
        raise ConfigError(
            f"config key 'max_jobs': the study needs about {estimate} jobs = {product}, more than max_jobs ({config['max_jobs']}); "
            "lower one of these keys, or raise max_jobs if you mean it"
        )
    return estimate


def looks_local(source: str) -> bool:
    """A path, not a hub id: absolute, relative to here ('./', '../', '~') or deeper than 'owner/name'."""
    return source.startswith(("/", "./", "../", "~")) or source.count("/") >= 2


def check_local_model(key: str, source: str | None) -> None:
    """A model named by a local path must exist before any job starts (else its first job would fail)."""
    if source and looks_local(source) and not Path(source).expanduser().exists():
        raise ConfigError(
            f"config key '{key}': local model {source!r} does not exist (relative paths are read from the working "
            f"directory, {str(Path.cwd())!r})"
        )
