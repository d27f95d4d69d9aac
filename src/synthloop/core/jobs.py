"""What every workflow script does first: log to its log file, use only its threads, remember its GPU request.

Also the resource helpers rules/common.smk uses (kept here, import-free, so that they can be tested
without Snakemake and stay cheap to parse on every SLURM job).
"""

from __future__ import annotations

import logging
import os
import sys

from synthloop.core.progress import quiet_progress_bars


def _report_to(console):
    """Full traceback to the log; the one-line reason to the console, where the user looks first."""

    def hook(kind, error, trace):
        sys.__excepthook__(kind, error, trace)
        console.write(f"synthloop: {kind.__name__}: {error}\n")

    return hook


def start(snakemake) -> logging.Logger:
    """Send stdout and stderr (Python's and the C libraries') and logging to the job's log; cap threads.

    Call before importing torch so that OMP/MKL read the thread count.
    """
    _remember_gpu_request(snakemake)
    _remember_trust(snakemake)
    threads = str(max(1, int(snakemake.threads)))
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = threads
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    quiet_progress_bars()  # a line per batch/epoch (core.progress) instead
    if snakemake.log:
        console = os.fdopen(os.dup(2), "w", buffering=1)
        log = open(snakemake.log[0], "a", buffering=1)
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        sys.stdout = sys.stderr = log
        sys.excepthook = _report_to(console)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    return logging.getLogger(snakemake.rule)


TRUST_ENV = "SYNTHLOOP_TRUST_REMOTE_CODE"  # "1" when the study's top-level trust_remote_code is true


def _remember_trust(snakemake) -> None:
    """The study's one trust_remote_code flag, for every loader the job calls (synthloop.lm.models, the scorers),
    so that no call site can forget it: a fine-tuned model of a remote-code architecture needs it as its base did."""
    config = getattr(snakemake, "config", None) or {}
    os.environ[TRUST_ENV] = "1" if config.get("trust_remote_code") is True else "0"


def trusts_remote_code() -> bool:
    """Whether this job's study allows remote code (False outside a workflow job)."""
    return os.environ.get(TRUST_ENV) == "1"


GPU_REQUEST_ENV = "SYNTHLOOP_GPU_REQUEST"  # "<rule>:<count>", set by start() for jobs whose resources ask for a GPU


def _remember_gpu_request(snakemake) -> None:
    """Pass `resources: gpu:` on to pick_device (synthloop.lm.models), which refuses a CPU fallback then."""
    resources = getattr(snakemake, "resources", None)
    count = int(resources.get("gpu", 0) or 0) if resources is not None else 0
    if count > 0:
        os.environ[GPU_REQUEST_ENV] = f"{snakemake.rule}:{count}"
    else:
        os.environ.pop(GPU_REQUEST_ENV, None)


def gpu_request() -> tuple[str, int] | None:
    """(rule, GPUs asked for) when this job's resources asked for a GPU, else None."""
    value = os.environ.get(GPU_REQUEST_ENV)
    if not value:
        return None
    rule, _, count = value.rpartition(":")
    return rule, int(count)


SCALED_BY_ATTEMPT = ("mem_mb", "runtime")


def scaled_by_attempt(resources: dict) -> dict:
    """mem_mb and runtime as Snakemake resource callables growing with the attempt (1, 2, 3, ...).

    A job killed for memory or time is retried (profiles/slurm: retries) with twice, then three times,
    what it first asked for, instead of repeating the same failure. Other resources pass through.
    """

    def grows(base: int):
        return lambda wildcards, attempt: base * attempt

    return {key: grows(int(value)) if key in SCALED_BY_ATTEMPT else value for key, value in resources.items()}
