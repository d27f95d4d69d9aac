"""One package per study kind: its plan of jobs, its config checks, and what only that study uses.

`validate` is the one entry point for a config: the kind's schema (core), then the kind's checks;
`layout` is a kind's path table, the one the rules write to and the tests read; `claims_module` the
module that tests a kind's paper findings on its metrics table, where the kind has one.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from synthloop.core.config import kind_of, read_yaml, validate_schema
from synthloop.studies.base import COMMON_PATHS


def validate(config: dict) -> dict:
    """Validate a config of any kind: schema and defaults, then the kind's cross-reference checks.

    Returns a new dict; raises ConfigError naming the first offending key.
    """
    checks = importlib.import_module(f"synthloop.studies.{kind_of(config)}.validate")
    config = validate_schema(config, getattr(checks, "prepare", None))
    checks.check(config)
    return config


def load(path: str | Path) -> dict:
    return validate(read_yaml(path))


def layout(kind: str) -> dict[str, str]:
    """Every path pattern of a kind: the common files and the kind's own (`studies.<kind>.paths`)."""
    own = importlib.import_module(f"synthloop.studies.{kind}.paths").PATHS
    if twice := sorted(set(own) & set(COMMON_PATHS)):
        raise ValueError(f"synthloop.studies.{kind}.paths names common paths again: {twice}")
    return {**COMMON_PATHS, **own}


CLAIMS_METRICS = {"image_loop": "image_metrics"}  # the metrics table a kind's claims read, by path name ("metrics" elsewhere)


def claims_module(kind: str) -> str | None:
    """`synthloop.studies.<kind>.claims` where that module exists (its `claims(metrics)` gives the claims table), else None.

    Found without importing it, so the workflow's parse stays free of pandas."""
    name = f"synthloop.studies.{kind}.claims"
    return name if importlib.util.find_spec(name) is not None else None


def claims_metrics(kind: str) -> str:
    """The path name of the metrics table a kind's claims module reads."""
    return CLAIMS_METRICS.get(kind, "metrics")
