"""Cluster behaviour of the workflow: GPU requests fail loudly, retries ask for more, cheap rules stay local.

The workflow is parsed through Snakemake's own API (no jobs run), so resources are evaluated by
Snakemake exactly as it would for a SLURM submission.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
import yaml
from snakemake.api import SnakemakeApi
from snakemake.settings.types import ConfigSettings, OutputSettings, Quietness, ResourceSettings

from synthloop.core.jobs import GPU_REQUEST_ENV, scaled_by_attempt, start
from synthloop.lm.models import pick_device

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "configs" / "tiny.yaml"

# Jobs of seconds that must not be one sbatch each, and jobs that must (they need a GPU or hours).
CHEAP = {
    "all",
    "manifest",
    "archive",
    "compose_training_set",
    "metrics",
    "figure",
    "theory",
    "pretraining_corpus",
    "prepare_dataset",
    "lean_partition",
    "label_subset",
    "chain_metrics",
    "lean_analysis",
    "regress",
    "regress_mixed",
    "mixed_clusters",
    "neuron_analysis",
    "lean_control",  # a table from the lean scores and the classifier's rates
    "cluster_control",  # the study's regression on a planted metrics table
    "control_table",  # studies 3 and 4: planted beside recovered, from the jobs' own outputs
    "claims",  # a kind's claims module on its metrics table
}
HEAVY = {"finetune", "generate", "score", "generate_base", "score_base", "clusters", "neuron_values", "lean_scores", "train_base_model"}


@pytest.fixture(scope="module")
def workflow(tmp_path_factory):
    """The parsed workflow (rules, resources, localrules) for the tiny study with a finetune override."""
    cwd = os.getcwd()
    overrides = {"resources": {"finetune": {"cpus_per_task": 8, "mem_mb": 1500}}}
    with SnakemakeApi(OutputSettings(quiet={Quietness.ALL})) as api:
        wf_api = api.workflow(
            resource_settings=ResourceSettings(),
            config_settings=ConfigSettings(configfiles=[TINY], config=overrides),
            snakefile=ROOT / "Snakefile",
            workdir=tmp_path_factory.mktemp("workflow"),
        )
        yield wf_api._workflow
    os.chdir(cwd)


def test_memory_and_runtime_grow_with_the_attempt(workflow):
    schema = yaml.safe_load((ROOT / "schemas" / "common.schema.yaml").read_text())
    generate = schema["properties"]["resources"]["properties"]["generate"]["default"]
    wildcards = {"chain": "c", "gen": "1"}
    for attempt in (1, 2, 3):
        finetune = workflow.get_rule("finetune").expand_resources(wildcards, [], attempt)
        assert finetune["mem_mb"] == 1500 * attempt  # the config's value, not the schema's
        assert finetune["runtime"] == generate["runtime"] * 2 * attempt  # schema: finetune 240 min = 2 x generate's 120
        gen = workflow.get_rule("generate").expand_resources(wildcards, [], attempt)
        assert (gen["mem_mb"], gen["runtime"]) == (generate["mem_mb"] * attempt, generate["runtime"] * attempt)


def test_scaled_by_attempt_leaves_other_resources_alone():
    scaled = scaled_by_attempt({"mem_mb": 100, "runtime": 7, "gpu": 1, "slurm_partition": "gpu"})
    assert (scaled["mem_mb"](None, 3), scaled["runtime"](None, 2)) == (300, 14)
    assert (scaled["gpu"], scaled["slurm_partition"]) == (1, "gpu")


def test_threads_follow_cpus_per_task(workflow):
    assert workflow.get_rule("finetune").resources["_cores"] == 8
    assert workflow.get_rule("finetune").resources["cpus_per_task"] == 8
    assert workflow.get_rule("generate").resources["_cores"] == 1  # no cpus_per_task for generate: the rule's own 1


def test_cheap_rules_are_local_and_heavy_ones_are_not(workflow):
    names = {rule.name for rule in workflow.rules}
    assert workflow._localrules <= names  # every local rule exists (Snakemake only warns otherwise)
    assert workflow._localrules == CHEAP & names
    assert HEAVY <= names and not HEAVY & workflow._localrules


def _fake_job(rule, gpu):
    return SimpleNamespace(rule=rule, threads=1, log=[], resources={"gpu": gpu} if gpu is not None else {})


@pytest.fixture
def job_env(monkeypatch):
    """start() sets these; let monkeypatch restore them (setenv first: delenv of an absent variable records nothing)."""
    for var in (GPU_REQUEST_ENV, "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TOKENIZERS_PARALLELISM"):
        monkeypatch.setenv(var, "")
        monkeypatch.delenv(var)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    return monkeypatch


def test_a_gpu_job_without_a_gpu_stops_naming_rule_and_resource(job_env):
    start(_fake_job("finetune", 1))
    with pytest.raises(RuntimeError, match=r"rule 'finetune' asked for resources gpu=1, but this job sees no CUDA GPU"):
        pick_device()


@pytest.mark.parametrize("gpu", [None, 0])
def test_a_cpu_job_falls_back_to_the_cpu(job_env, gpu):
    start(_fake_job("finetune", 1))
    start(_fake_job("score", gpu))  # a later job in the same process must not inherit the request
    assert pick_device() == torch.device("cpu")


def test_a_gpu_job_with_a_gpu_gets_it(job_env):
    job_env.setattr(torch.cuda, "is_available", lambda: True)
    start(_fake_job("generate", 1))
    assert pick_device() == torch.device("cuda")


@pytest.mark.workflow
@pytest.mark.slow
def test_a_gpu_rule_fails_in_snakemake_with_the_reason_on_the_console(tmp_path):
    """Through Snakemake: its real resources object reaches start(); CUDA hidden so it holds on GPU machines too."""
    (tmp_path / "Snakefile").write_text(
        textwrap.dedent("""
        rule needs_gpu:
            output: "out.txt"
            log: "needs_gpu.log"
            resources: gpu=1
            script: "job.py"
    """)
    )
    (tmp_path / "job.py").write_text(
        textwrap.dedent("""
        from synthloop.core.jobs import start
        start(snakemake)
        from synthloop.lm.models import pick_device
        open(snakemake.output[0], "w").write(str(pick_device()))
    """)
    )
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "1", "--directory", str(tmp_path), "-s", str(tmp_path / "Snakefile")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode != 0 and not (tmp_path / "out.txt").exists()
    assert "rule 'needs_gpu' asked for resources gpu=1" in done.stderr + done.stdout
    assert "rule 'needs_gpu' asked for resources gpu=1" in (tmp_path / "needs_gpu.log").read_text()
