"""A config whose mappings are only reordered re-runs nothing.

Snakemake compares a job's params by their repr, so a dict param keeps its key order; the rules pass
config mappings through `synthloop.core.config.canonical` (keys sorted) and the plan lists scorers by name.
The workflow check, for every kind: tests/test_workflow_guarantees.py.
"""

from __future__ import annotations

from conftest import reversed_keys

from synthloop.core.config import canonical


def test_canonical_sorts_every_mapping_and_keeps_list_order():
    config = {"b": {"y": 1, "x": [{"q": 1, "p": 2}, 3]}, "a": (2, 1)}
    assert repr(canonical(config)) == repr({"a": (2, 1), "b": {"x": [{"p": 2, "q": 1}, 3], "y": 1}})
    assert repr(canonical(reversed_keys(config))) == repr(canonical(config))
    assert config == {"b": {"y": 1, "x": [{"q": 1, "p": 2}, 3]}, "a": (2, 1)}  # the argument is not changed
