"""Smoke tests of the benchmark scripts in bench/: each runs at a tiny size and prints its ratio line."""

import re
import subprocess
import sys

import pytest
from conftest import ROOT, TINY_CONFIG

BENCH = ROOT / "bench"
RUNS = {
    "finetune": ["finetune.py", "--docs", "8", "--epochs", "1", "--batch-size", "4", "--packing"],
    "dag": ["dag.py", "--clusters", "2", "--no-warm-up"],
    # one cheap job of the tiny study: the whole tiny study takes minutes
    "default_run": ["default_run.py", "--configfile", str(TINY_CONFIG), "results/tiny/theory/weighted_mle.csv"],
}


@pytest.fixture(scope="module")
def outputs():
    """All three scripts started at once (they spend much of their time importing), then collected."""
    procs = {
        name: subprocess.Popen([sys.executable, str(BENCH / args[0]), *args[1:]], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name, args in RUNS.items()
    }
    results = {}
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=300)
        results[name] = (proc.returncode, stdout, stderr)
    return results


def run(outputs, name: str) -> str:
    returncode, stdout, stderr = outputs[name]
    assert returncode == 0, f"{name} failed:\n{stdout[-3000:]}\n{stderr[-5000:]}"
    return stdout


def test_finetune_benchmark_prints_speedup_and_matching_losses(outputs):
    out = run(outputs, "finetune")
    assert re.search(r"^speed-up synthloop vs published: \d+(\.\d+)?x$", out, flags=re.M), out
    assert re.search(r"^speed-up packed vs published: \d+(\.\d+)?x$", out, flags=re.M), out
    rows = {m[0]: float(m[1]) for m in re.findall(r"^(published|synthloop|packed) .*?\s(\d+\.\d+)\s+\S+$", out, flags=re.M)}
    assert set(rows) == {"published", "synthloop", "packed"}, out
    assert abs(rows["synthloop"] - rows["published"]) < 0.05, out  # same batches, same weights: the same loss
    leak = float(re.search(r"max \|logit difference\| packed vs alone = (\S+)$", out, flags=re.M)[1])
    assert leak < 1e-4, out  # packed documents do not attend to each other


def test_dag_benchmark_prints_job_counts_and_ratio(outputs):
    out = run(outputs, "dag")
    study = int(re.search(r"^synthloop dry run:\s+(\d+) jobs", out, flags=re.M)[1])
    trivial = int(re.search(r"^trivial dry run:\s+(\d+) jobs", out, flags=re.M)[1])
    assert study == trivial > 20, out
    assert re.search(r"^ratio synthloop / trivial: \d+\.\d+x wall, \d+\.\d+x CPU", out, flags=re.M), out


def test_default_run_benchmark_sums_benchmark_files(outputs):
    out = run(outputs, "default_run")
    assert re.search(r"^theory\s+1\s+\d+\.\d", out, flags=re.M), out
    assert re.search(r"^total wall time: \d+\.\d s; sum of job seconds / wall: \d+\.\d+", out, flags=re.M), out
