"""The workflow through a real SLURM: a throwaway single-node cluster (tests/slurm/cluster.py)
and the repository's profile (profiles/slurm) with snakemake-executor-plugin-slurm.

Needs root on Debian/Ubuntu: the harness installs slurmctld, slurmd, slurm-client and munge
with apt-get if they are missing, and these tests FAIL (they are not skipped) when it cannot.
Deselect them with `pytest -m "not slurm"`.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slurm

ROOT = Path(__file__).resolve().parents[1]
HARNESS = ROOT / "tests" / "slurm" / "cluster.py"
PROFILE = ROOT / "profiles" / "slurm"
TOY_SNAKEFILE = ROOT / "tests" / "slurm" / "Snakefile"
TINY_CONFIG = ROOT / "tests" / "configs" / "tiny.yaml"
PARTITION = "debug"

# What a user of profiles/slurm would pass on a cluster without SLURM accounting, plus
# settings that keep a test short: `sacct` is disabled there (the plugin would wait forever),
# status checks start after a few seconds, a failing job fails the test at once.
SLURM_ARGS = [
    "--profile", str(PROFILE),
    "--default-resources", f"slurm_partition={PARTITION}", "mem_mb=1000", "runtime=10",
    "--slurm-status-command", "squeue",
    "--slurm-init-seconds-before-status-checks", "1",
    "--seconds-between-status-checks", "1",
    "--retries", "0",
    "--latency-wait", "5",
]
SNAKEMAKE_TIMEOUT = 240


def _load_harness():
    spec = importlib.util.spec_from_file_location("synthloop_slurm_cluster", HARNESS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory):
    """Start the cluster once for this module; always stop it, whatever the tests did."""
    cluster = _load_harness()
    scratch = tmp_path_factory.mktemp("slurm-cluster")
    began = time.monotonic()
    info = cluster.start(scratch, partition=PARTITION)  # raises ClusterError: the test errors, never skips
    print(f"\nslurm cluster up in {time.monotonic() - began:.1f} s")
    try:
        yield info
    finally:
        began = time.monotonic()
        cluster.stop(scratch)
        print(f"\nslurm cluster stopped in {time.monotonic() - began:.1f} s")


def _env():
    """The interpreter running the tests (and its snakemake) first on PATH, for the jobs too."""
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", ""), "/usr/sbin", "/usr/bin"])}


def _slurm_logs(workdir: Path) -> str:
    logs = sorted((workdir / ".snakemake" / "slurm_logs").rglob("*.log"))
    return "\n".join(f"--- {log}\n{log.read_text(errors='replace')[-3000:]}" for log in logs[-5:])


def snakemake(*args, workdir: Path, timeout: int = SNAKEMAKE_TIMEOUT) -> float:
    """Run snakemake; fail with its output (and the SLURM job logs) if it fails; return seconds taken."""
    workdir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "snakemake", "--directory", str(workdir), *map(str, args)]
    began = time.monotonic()
    try:
        result = subprocess.run(command, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as error:
        output = (error.stdout or b"").decode(errors="replace") if isinstance(error.stdout, bytes) else (error.stdout or "")
        pytest.fail(f"snakemake ran past {timeout} s: {' '.join(command)}\n{output[-6000:]}\n{_slurm_logs(workdir)}")
    seconds = time.monotonic() - began
    if result.returncode != 0:
        pytest.fail(
            f"snakemake exited {result.returncode} after {seconds:.0f} s: {' '.join(command)}\n"
            f"{(result.stdout + result.stderr)[-8000:]}\n{_slurm_logs(workdir)}"
        )
    return seconds


def _env_lines(path: Path) -> dict:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def test_toy_workflow_runs_cpu_and_gpu_jobs_through_slurm(slurm_cluster, tmp_path):
    seconds = snakemake("--snakefile", TOY_SNAKEFILE, *SLURM_ARGS, workdir=tmp_path)
    print(f"\ntoy workflow through SLURM: {seconds:.1f} s")

    cpu, gpu = _env_lines(tmp_path / "cpu.txt"), _env_lines(tmp_path / "gpu.txt")
    # Each rule ran as its own SLURM job ...
    assert re.fullmatch(r"\d+", cpu["SLURM_JOB_ID"]), cpu
    assert re.fullmatch(r"\d+", gpu["SLURM_JOB_ID"]), gpu
    assert cpu["SLURM_JOB_ID"] != gpu["SLURM_JOB_ID"]
    assert cpu["SLURM_CPUS_PER_TASK"] == gpu["SLURM_CPUS_PER_TASK"] == "1"  # from `threads: 1`
    # ... and only the rule with `resources: gpu=1` got the (fake) GPU.
    assert cpu["CUDA_VISIBLE_DEVICES"] == "none"
    assert gpu["CUDA_VISIBLE_DEVICES"] == "0"


def _generated_texts(workdir: Path) -> dict:
    import pandas as pd

    files = sorted(workdir.glob("results/*/chains/*/g*/generated.parquet"))
    return {str(f.relative_to(workdir)): pd.read_parquet(f)["text"].tolist() for f in files}


def test_tiny_study_on_slurm_matches_local_run(slurm_cluster, tmp_path):
    assert TINY_CONFIG.exists(), f"{TINY_CONFIG} is missing"
    common = ["--snakefile", ROOT / "Snakefile", "--configfile", TINY_CONFIG]

    local_seconds = snakemake(*common, "--cores", "2", workdir=tmp_path / "local")
    slurm_seconds = snakemake(*common, *SLURM_ARGS, workdir=tmp_path / "slurm")
    print(f"\ntiny study: local --cores 2 {local_seconds:.1f} s, through SLURM {slurm_seconds:.1f} s")

    local, slurm = _generated_texts(tmp_path / "local"), _generated_texts(tmp_path / "slurm")
    assert local, "the local run wrote no generated.parquet"
    assert sorted(slurm) == sorted(local)
    for name, texts in local.items():
        assert texts, f"{name} holds no texts"
        assert slurm[name] == texts, f"{name} differs between the local and the SLURM run"
    assert (tmp_path / "slurm" / next(iter(slurm))).exists()
    assert list((tmp_path / "slurm").glob("results/*/metrics.parquet")), "the SLURM run wrote no metrics table"
