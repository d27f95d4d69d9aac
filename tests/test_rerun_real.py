"""A real re-run after a scorer edit (not a dry-run plan): which jobs ran, and which files they rewrote.

On a copy of the session's finished tiny study (conftest.tiny_study), the perplexity scorer's
batch_size changes from 32 to 7 and Snakemake runs for real for one text set's score file. Exactly
one `score` job may run; every file it does not own (the chain's models, training sets, generated
texts, the other text sets' scores, the study's tables) must keep its bytes and its modification
time. One target keeps the test to one job (~20 s); the whole plan after such an edit is checked as
a dry run in test_workflow.py.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import ROOT, copy_study, jobs_in

pytestmark = [pytest.mark.workflow, pytest.mark.slow]

TEXT_SET = Path("results/tiny/chains/sotu-replace-s0/g2")


def snapshot(results: Path) -> dict[str, tuple[int, str]]:
    """Every file under results: (modification time in ns, SHA-256 of its bytes)."""
    return {
        str(p.relative_to(results)): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(results.rglob("*"))
        if p.is_file()
    }


def test_a_scorer_edit_reruns_exactly_the_score_job_and_rewrites_only_its_files(tiny_study, tmp_path):
    study = copy_study(tiny_study, tmp_path / "study")
    config = yaml.safe_load((study / "config.yaml").read_text())
    assert config["scorers"]["perplexity"]["batch_size"] == 32
    config["scorers"]["perplexity"]["batch_size"] = 7
    (study / "config.yaml").write_text(yaml.safe_dump(config))
    results = study / "results" / "tiny"
    before = snapshot(results)
    summaries = {s: pd.read_parquet(study / TEXT_SET / "scores" / f"{s}.parquet") for s in ("lean", "quality", "perplexity")}

    target = str(TEXT_SET / "scores" / "perplexity.parquet")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            target,
            "--snakefile",
            str(ROOT / "Snakefile"),
            "--cores",
            "2",
            "--directory",
            str(study),
            "--configfile",
            str(study / "config.yaml"),
        ],
        capture_output=True,
        text=True,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-5000:]

    ran = Counter(jobs_in(output))
    assert ran == Counter({"score": 1}), output[-3000:]
    assert re.search(r"reason: .*[Pp]arams", output), output[-3000:]  # re-run because the scorer's parameters changed
    assert "1 of 1 steps (100%) done" in output

    after = snapshot(results)
    changed = {name for name in after if before.get(name) != after[name]}
    scores = {
        f"{TEXT_SET.relative_to('results/tiny')}/scores/{s}{suffix}"
        for s in ("lean", "quality", "perplexity")
        for suffix in (".parquet", ".texts.parquet")
    }
    job = "sotu-replace-s0/g2"
    assert scores <= changed  # the job rewrote its outputs ...
    assert changed - scores <= {f"logs/score/{job}.log", f"benchmarks/score/{job}.tsv"}, sorted(changed - scores)  # ... and nothing else
    assert set(before) <= set(after)
    for upstream in ("model/model.safetensors", "generated.parquet", "train.parquet", "neurons.npz"):
        name = f"{TEXT_SET.relative_to('results/tiny')}/{upstream}"
        assert name in before and before[name] == after[name], name  # same bytes, same modification time
    # The batch size does not change perplexity (padding is masked), nor the other scorers' values.
    for scorer, old in summaries.items():
        new = pd.read_parquet(study / TEXT_SET / "scores" / f"{scorer}.parquet")
        pd.testing.assert_frame_equal(new, old, check_exact=False, rtol=1e-4)
