"""Smoke tests of the benchmark scripts in bench/: each runs at a tiny size and prints its ratio line."""

import re
import subprocess
import sys

from conftest import ROOT, TINY_CONFIG

BENCH = ROOT / "bench"


def run(script: str, *args: str) -> str:
    result = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{script} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    return result.stdout


def test_finetune_benchmark_prints_speedup_and_matching_losses():
    out = run("finetune.py", "--docs", "8", "--epochs", "1", "--batch-size", "4", "--packing")
    assert re.search(r"^speed-up synthloop vs published: \d+(\.\d+)?x$", out, flags=re.M), out
    assert re.search(r"^speed-up packed vs published: \d+(\.\d+)?x$", out, flags=re.M), out
    rows = {m[0]: float(m[1]) for m in re.findall(r"^(published|synthloop|packed) .*?\s(\d+\.\d+)\s+\S+$", out, flags=re.M)}
    assert set(rows) == {"published", "synthloop", "packed"}, out
    assert abs(rows["synthloop"] - rows["published"]) < 0.05, out  # same batches, same weights: the same loss
    leak = float(re.search(r"max \|logit difference\| packed vs alone = (\S+)$", out, flags=re.M)[1])
    assert leak < 1e-4, out  # packed documents do not attend to each other


def test_dag_benchmark_prints_job_counts_and_ratio():
    out = run("dag.py", "--seeds", "1", "--generations", "1", "--no-warm-up")
    study = int(re.search(r"^synthloop dry run:\s+(\d+) jobs", out, flags=re.M)[1])
    trivial = int(re.search(r"^trivial dry run:\s+(\d+) jobs", out, flags=re.M)[1])
    assert study == trivial > 20, out
    assert re.search(r"^ratio synthloop / trivial: \d+\.\d+x", out, flags=re.M), out


def test_default_run_benchmark_sums_benchmark_files():
    target = "results/tiny/theory/weighted_mle.csv"  # one cheap job of the tiny study: the whole study takes minutes
    out = run("default_run.py", "--configfile", str(TINY_CONFIG), target)
    assert re.search(r"^theory\s+1\s+\d+\.\d", out, flags=re.M), out
    assert re.search(r"^total wall time: \d+\.\d s; sum of job seconds / wall: \d+\.\d+", out, flags=re.M), out
