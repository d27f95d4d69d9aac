"""The report's positive-control and claims tables of studies 3 and 4: scheduled where the config asks, report items,
and a control table whose planted and recovered columns agree only when every link holds.

Control configs (`augment.backend: template`, generator `control`) get rule control_table; `claims: true` gets rule
claims for every kind with a claims module. The control tables are computed from the jobs' own outputs (the
compose job's training sets, the synthesize job's summary) by synthloop.studies.<kind>.control.run_table.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
import yaml
from conftest import ROOT
from snakemake.api import SnakemakeApi
from snakemake.io import is_flagged
from snakemake.settings.types import ConfigSettings, OutputSettings, Quietness, ResourceSettings

from synthloop.estimate.jobs import counts
from synthloop.studies import claims_module, validate

PRESETS = {"inheritance": ("control-li2025", "validate-li2025"), "image_loop": ("control-zhang2024", "validate-zhang2024")}


def parsed(preset: str, workdir, **overrides):
    """The parsed workflow of a preset (no jobs run, no DAG)."""
    cwd = os.getcwd()
    try:
        with SnakemakeApi(OutputSettings(quiet={Quietness.ALL})) as api:
            wf = api.workflow(
                resource_settings=ResourceSettings(),
                config_settings=ConfigSettings(configfiles=[ROOT / "presets" / f"{preset}.yaml"], config=overrides),
                snakefile=ROOT / "Snakefile",
                workdir=workdir,
            )._workflow
            return {rule.name: rule for rule in wf.rules}
    finally:
        os.chdir(cwd)


def report_of(rule):
    (output,) = rule.output
    assert is_flagged(output, "report"), rule.name
    return output, output.flags["report"]


@pytest.mark.workflow
@pytest.mark.parametrize("kind", sorted(PRESETS))
def test_control_and_claims_tables_are_scheduled_where_asked_and_are_report_items(kind, tmp_path):
    control, validation = PRESETS[kind]
    assert claims_module(kind) == f"synthloop.studies.{kind}.claims"
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--dry-run", "--quiet", "rules", "--cores", "1", "--snakefile", str(ROOT / "Snakefile")]
        + ["--directory", str(tmp_path / "dry"), "--configfile", str(ROOT / "presets" / f"{control}.yaml"), "--config", "claims=True"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    scheduled = {rule: int(n) for rule, n in re.findall(r"^(\w+)\s+(\d+)$", result.stdout.split("Job stats:")[-1], flags=re.M)}
    assert scheduled.pop("total") and scheduled["control_table"] == 1 and scheduled["claims"] == 1
    asked = {**yaml.safe_load((ROOT / "presets" / f"{control}.yaml").read_text()), "claims": True}
    assert counts(validate(asked)) == scheduled  # the job-count estimate counts both rules

    rules = parsed(control, tmp_path / "control")
    table, flags = report_of(rules["control_table"])
    assert table == f"results/{control}/tables/control.csv"
    assert (flags.category, flags.subcategory) == (control, "positive controls") and flags.caption.endswith(f"report/{kind}/control.rst")
    assert table in rules["all"].input and f"results/{control}/tables/claims.csv" not in rules["all"].input

    rules = parsed(validation, tmp_path / "validation")  # not a control; claims: true
    claims, flags = report_of(rules["claims"])
    assert (flags.category, flags.subcategory) == (validation, "claims") and flags.caption.endswith("report/claims.rst")
    assert claims in rules["all"].input and f"results/{validation}/tables/control.csv" not in rules["all"].input
    rules = parsed(validation, tmp_path / "unasked", claims=False)
    assert claims not in rules["all"].input


# -- the control tables' library functions, on tiny in-memory inputs ---------------------------------------


def inheritance_sets():
    """(keys, compose job's table) of a tiny template-backend study: a biased and the unbiased type at one ratio."""
    from synthloop.studies.inheritance.mix import compose_gender
    from synthloop.studies.inheritance.pipeline import augment
    from synthloop.studies.inheritance.realset import standin_biographies

    config = validate(
        {
            "study": "c",
            "kind": "inheritance",
            "seeds": [0],
            "model": {"source": "gpt2"},
            "bias_types": ["unbiased", "contextual_single_explicit"],
            "augment": {"backend": "template", "template": {"skew": 0.8}},
        }
    )
    slots, real = config["slots"], standin_biographies(config["slots"], 10, 0, "train").assign(task="profession")
    sets = []
    for bias_type in config["bias_types"]:
        augmentation = augment(
            "-", {"bias": "gender", "bias_type": bias_type, "count": 72, "round": 1}, slots, config["augment"], "template", 0
        )
        sets.append(({"seed": 0, "bias_type": bias_type, "ratio": 0.6}, compose_gender(real, augmentation, 0.6, 120, slots, 0)))
    return sets, config["augment"]["template"]


def inheritance_tables():
    from synthloop.studies.inheritance.control import run_table

    sets, spec = inheritance_sets()
    (unbiased, a), (biased, b) = sets
    return run_table(sets, spec), run_table([(unbiased, b), (biased, a)], spec)  # broken: each type joined to the other's set


def image_tables():
    from synthloop.data import images as im
    from synthloop.loop import fifo
    from synthloop.studies.image_loop import classifiers, steps
    from synthloop.studies.image_loop.control import run_table

    params, colours = {"class": 3, "share": 0.6, "colour": "green"}, ["red", "green", "blue"]
    config = validate(
        {
            "study": "c",
            "kind": "image_loop",
            "seeds": [0],
            "data": {"source": "digits", "size": 8, "colourise": {"bias": "unbiased", "colours": colours}},
            "generators": ["control"],
            "generator_params": {"control": params},
        }
    )
    train, _ = im.prepare(config["data"], 0)
    job = {"fifo": {"enabled": False}, "filter": {"enabled": False}, "generator_params": {"control": params}, "colours": colours}
    torch.manual_seed(0)
    net = classifiers.build("mlp", (3, 8, 8), 10, {}).eval()
    seed = 11
    _, generated, summary = steps.synthesize(fifo.training_set(train, train.iloc[:0]), train, "control", 1, 0.5, job, seed, net, None, None)
    keys = {"ratio": 0.5, "seed": 0, "generation": 1}
    good = run_table([({**keys, "job_seed": seed}, train, generated, summary)], params, colours)
    broken = run_table([({**keys, "job_seed": seed + 1}, train, generated, summary)], params, colours)  # another job's seed
    assert "job_seed" not in good
    return good.rename(columns={"planted move": "planted", "recovered move": "recovered"}), broken.rename(
        columns={"planted move": "planted", "recovered move": "recovered"}
    )


@pytest.mark.parametrize("kind", sorted(PRESETS))
def test_control_table_recovers_the_planted_value_only_when_every_link_holds(kind):
    good, broken = {"inheritance": inheritance_tables, "image_loop": image_tables}[kind]()
    assert len(good) and np.allclose(good["planted"], good["recovered"])
    assert not np.allclose(broken["planted"], broken["recovered"])
