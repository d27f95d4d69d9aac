"""A config whose mappings are only reordered re-runs nothing.

Snakemake compares a job's params by their repr, so a dict param keeps its key order; the rules pass
config mappings through `synthloop.core.config.canonical` (keys sorted) and the plan lists scorers by name.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from conftest import ROOT, copy_study, jobs_in, reversed_keys

from synthloop.core.config import canonical


def test_canonical_sorts_every_mapping_and_keeps_list_order():
    config = {"b": {"y": 1, "x": [{"q": 1, "p": 2}, 3]}, "a": (2, 1)}
    assert repr(canonical(config)) == repr({"a": (2, 1), "b": {"x": [{"p": 2, "q": 1}, 3], "y": 1}})
    assert repr(canonical(reversed_keys(config))) == repr(canonical(config))
    assert config == {"b": {"y": 1, "x": [{"q": 1, "p": 2}, 3]}, "a": (2, 1)}  # the argument is not changed


@pytest.mark.workflow
@pytest.mark.slow
def test_a_config_with_its_keys_only_reordered_plans_no_job(tiny_study, tmp_path):
    study = copy_study(tiny_study, tmp_path / "study")
    config = yaml.safe_load((study / "config.yaml").read_text())
    reordered = yaml.safe_dump(reversed_keys(config), sort_keys=False)
    assert yaml.safe_load(reordered) == config and reordered != (study / "config.yaml").read_text()
    assert list(yaml.safe_load(reordered)["scorers"]) == ["quality", "perplexity", "lean"]  # not the run's order
    (study / "config.yaml").write_text(reordered)

    # Every trigger Snakemake has (mtime, params, input, code, software-env), and params alone.
    for triggers in ([], ["--rerun-triggers", "params"]):
        run = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--snakefile", str(ROOT / "Snakefile"), "--cores", "1",
                              "--directory", str(study), "--configfile", str(study / "config.yaml"), *triggers], capture_output=True, text=True)
        output = run.stdout + run.stderr
        assert run.returncode == 0, output[-5000:]
        assert jobs_in(output) == [], output[-5000:]
        assert "Nothing to be done" in output, output[-3000:]
