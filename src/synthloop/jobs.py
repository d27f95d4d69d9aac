"""What every workflow script does first: log to its log file and use only its threads."""

from __future__ import annotations

import logging
import os
import sys


def start(snakemake) -> logging.Logger:
    """Send stdout and stderr (Python's and the C libraries') and logging to the job's log; cap threads.

    Call before importing torch so that OMP/MKL read the thread count.
    """
    threads = str(max(1, int(snakemake.threads)))
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = threads
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if snakemake.log:
        log = open(snakemake.log[0], "a", buffering=1)
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        sys.stdout = sys.stderr = log
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    return logging.getLogger(snakemake.rule)
