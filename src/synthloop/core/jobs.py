"""What every workflow script does first: log to its log file and use only its threads."""

from __future__ import annotations

import logging
import os
import sys


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
    threads = str(max(1, int(snakemake.threads)))
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = threads
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if snakemake.log:
        console = os.fdopen(os.dup(2), "w", buffering=1)
        log = open(snakemake.log[0], "a", buffering=1)
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        sys.stdout = sys.stderr = log
        sys.excepthook = _report_to(console)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    return logging.getLogger(snakemake.rule)
