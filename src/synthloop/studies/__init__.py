"""One package per study kind: its plan of jobs, its config checks, and what only that study uses.

`validate` is the one entry point for a config: the kind's schema (core), then the kind's checks;
`layout` is a kind's path table, the one the rules write to and the tests read.
"""

from __future__ import annotations

import importlib
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
