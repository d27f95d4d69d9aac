"""Validation, the path helpers, resources and the targets list: what every study kind shares.

Kept cheap on purpose: every SLURM job re-parses the workflow, so nothing here imports torch
or reads data. Which jobs exist and what each reads is library code (synthloop.studies.<kind>.plan).
"""

import os
import sys
from pathlib import Path

SRC = str(Path(workflow.basedir) / "src")
sys.path.insert(0, SRC)
# Scripts (and conda environments on clusters) import the library from the checkout.
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, os.environ.get("PYTHONPATH")) if p)


envvars:
    "PYTHONPATH",


from synthloop.core.config import ConfigError, canonical, resource_defaults
from synthloop.core.jobs import scaled_by_attempt
from synthloop.studies import layout, validate
from synthloop.studies.base import path_function

try:
    _validated = validate(config)
except ConfigError as error:
    raise WorkflowError(f"invalid config: {error}") from None
config.clear()
config.update(_validated)

if workflow.is_main_process:
    # A large study's cost, printed before anything is planned or submitted (from the config alone: no DAG, no torch).
    from synthloop.estimate import announce

    _estimate = announce(config)
    if _estimate:
        print(_estimate, file=sys.stderr)

STUDY = config["study"]
KIND = config["kind"]
RESULTS = f"results/{STUDY}"
TARGETS = []  # each kind's rule files add their final outputs

PATHS = layout(KIND)  # synthloop.studies.<kind>.paths: the tests read the same table
path = path_function(PATHS, STUDY)


def log(rule, job="all"):
    return path("log", rule=rule, job=job)


def bench(rule, job="all"):
    return path("benchmark", rule=rule, job=job)


def keys_of(entries, *paths):
    """Plan entries without their path fields: the paths are the rule's inputs, the keys its params."""
    return [{k: v for k, v in entry.items() if k not in paths} for entry in entries]


def resources_for(kind):
    """The schema's defaults for this kind of job, overridden key by key by resources.<kind>;
    mem_mb and runtime grow with each retry (attempt 2 asks for twice the first request)."""
    return scaled_by_attempt({**resource_defaults(kind), **config["resources"].get(kind, {})})


def threads_for(kind, default):
    """A job uses the CPUs it asked for: resources.<kind>.cpus_per_task where the config sets it."""
    return config["resources"].get(kind, {}).get("cpus_per_task", default)


# Jobs of seconds (composing, tables, figures, the manifest, data preparation) run in the main
# Snakemake process instead of one sbatch each: on a cluster they would wait in the queue far
# longer than they run. Each kind's rules.smk names its own; these are every kind's.
localrules:
    all,
    manifest,
    archive,


wildcard_constraints:
    gen=r"\d+",


onsuccess:
    # Imported here, not above: pandas and matplotlib would slow every SLURM job's re-parse.
    from synthloop.analysis.summary import report_command, run_summary

    print(
        run_summary(
            RESULTS,
            path("metrics") if "metrics" in PATHS else None,
            report_command(workflow.main_snakefile, os.getcwd(), workflow.overwrite_configfiles, RESULTS),
        )
    )
