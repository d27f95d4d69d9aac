"""The real rules' resource requests and the profile's retries through a real SLURM (tests/slurm/cluster.py).

Two runs go at once on the throwaway cluster (its fake GPU has no CUDA behind it):

- The real workflow, on a copy of the session's tiny study with one fine-tune and one score job to
  redo, and the study config asking `resources: finetune: {gpu: 1, ...}`. The fine-tune is submitted
  with a GPU request, runs inside a GPU allocation (CUDA_VISIBLE_DEVICES set), sees no CUDA device and
  stops with synthloop's error instead of training on the CPU; it is retried (`--retries 1`) asking for
  twice the memory (rules/common.smk resources_for: mem_mb × attempt). The score job, a CPU rule,
  asks for no GPU and succeeds.
- A two-rule Snakefile written here whose resources come from the same `scaled_by_attempt` and whose
  job fails on its first attempt only: with the profile's own `retries` (not overridden) it succeeds on
  the second, which asked for twice the memory.

Requests are read back from the controller with `scontrol show job` (no accounting database here, so no
`sacct`; MinJobAge = 300 s keeps finished jobs listed). About 60-90 s on 2 cores.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, copy_study
from test_slurm import PARTITION, PROFILE, Run, slurm_cluster  # noqa: F401  (slurm_cluster: the module's cluster fixture)

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

CHECKS = [
    "--slurm-status-command",
    "squeue",
    "--slurm-init-seconds-before-status-checks",
    "2",
    "--seconds-between-status-checks",
    "2",
    "--latency-wait",
    "5",
]
# Without --default-resources a rule's mem_mb is its own (resources_for); the partition comes from the command line.
PARTITION_ARGS = ["--default-resources", f"slurm_partition={PARTITION}"]

FLAKY_SNAKEFILE = """
import sys
sys.path.insert(0, {src!r})
from synthloop.core.jobs import scaled_by_attempt


rule all:
    input:
        "done.txt",


rule flaky:
    output:
        "done.txt",
    threads: 1
    resources:
        **scaled_by_attempt({{"mem_mb": 500, "runtime": 5}}),
    shell:
        # The first attempt leaves a marker and fails; the next one finds it and succeeds.
        "if [ -e first-attempt ]; then echo attempt {{resources.mem_mb}} > {{output}}; else touch first-attempt; exit 3; fi"
"""


def submitted(log: Path) -> list[tuple[str, int]]:
    """(what, SLURM job id) of every submission, in order, from the snakemake output: `what` is the rule's
    name, or `group:<name>` for a group job (the profile groups each chain generation's finetune and generate)."""
    text = log.read_text(errors="replace")
    jobs = re.findall(r"submitted with SLURM jobid (\d+) \(log: [^)]*?slurm_logs/(rule|group)_([^/]+)/", text)
    return [(name if kind == "rule" else f"group:{name}", int(job)) for job, kind, name in jobs]


def job_record(job: int) -> dict[str, str]:
    line = subprocess.run(["scontrol", "-o", "show", "job", str(job)], capture_output=True, text=True, check=True).stdout.strip()
    return dict(field.split("=", 1) for field in line.split() if "=" in field)


def requested_tres(record: dict) -> dict[str, str]:
    """The trackable resources of the job (scontrol's TRES: cpu, mem, node, billing, gres/gpu)."""
    return dict(item.split("=", 1) for item in record["TRES"].split(","))


@pytest.fixture(scope="module")
def runs(slurm_cluster, tiny_study, tmp_path_factory):  # noqa: F811
    """Both runs, started together, waited for; their work directories."""
    study = copy_study(tiny_study, tmp_path_factory.mktemp("slurm-rules") / "study")
    config = yaml.safe_load((study / "config.yaml").read_text())
    config["resources"] = {
        "finetune": {"gpu": 1, "mem_mb": 700, "runtime": 5, "cpus_per_task": 1},
        "score": {"mem_mb": 600, "runtime": 5, "cpus_per_task": 1},
    }
    (study / "config.yaml").write_text(yaml.safe_dump(config))  # sorted keys, as the study was run with
    model = study / "results/tiny/chains/sotu-replace-s0/g0/model"
    subprocess.run(["rm", "-rf", str(model)], check=True)
    score = study / "results/tiny/chains/sotu-accumulate-s0/g0/scores/lean.parquet"
    score.unlink()
    real = Run(
        "--snakefile",
        ROOT / "Snakefile",
        "--configfile",
        study / "config.yaml",
        "--profile",
        PROFILE,
        *PARTITION_ARGS,
        *CHECKS,
        "--retries",
        "1",
        model.relative_to(study),
        score.relative_to(study),
        workdir=study,
    )

    flaky_dir = tmp_path_factory.mktemp("slurm-retry") / "flaky"
    flaky_dir.mkdir()
    (flaky_dir / "Snakefile").write_text(FLAKY_SNAKEFILE.format(src=str(ROOT / "src")))
    flaky = Run("--snakefile", flaky_dir / "Snakefile", "--profile", PROFILE, *PARTITION_ARGS, *CHECKS, workdir=flaky_dir)
    try:
        flaky.wait()
        real.process.wait(timeout=420)
    finally:
        real.kill()
        flaky.kill()
    return {"study": study, "real_log": real.log, "real_rc": real.process.returncode, "flaky": flaky_dir, "flaky_log": flaky.log}


def test_real_gpu_rule_is_submitted_with_a_gpu_and_retried_with_twice_the_memory(runs):
    output = runs["real_log"].read_text(errors="replace")
    assert runs["real_rc"] != 0, output[-3000:]  # the fine-tune cannot succeed: the fake GPU has no CUDA behind it
    jobs = submitted(runs["real_log"])
    finetunes = [job for what, job in jobs if what in ("finetune", "group:model_sotu-replace-s0_g0_finetune")]
    scores = [job for what, job in jobs if what == "score"]
    assert len(finetunes) == 2 and len(scores) == 1 and len(jobs) == 3, jobs
    first, second = (job_record(job) for job in finetunes)
    for record, mem in ((first, "700M"), (second, "1400M")):  # attempt 2 asks for mem_mb x 2
        tres = requested_tres(record)
        assert record.get("TresPerJob") == "gres:gpu:1", record  # sbatch --gpus=1 (gres are not in TRES without accounting)
        assert tres["mem"] == mem and tres["cpu"] == "1", record["TRES"]
        assert record["JobState"] == "FAILED" and record["Partition"] == PARTITION
        assert record["TimeLimit"] in ("00:05:00", "00:10:00")
    assert (first["TimeLimit"], second["TimeLimit"]) == ("00:05:00", "00:10:00")  # runtime grows with the attempt too
    # Inside the allocation each attempt knew it had asked for a GPU and refused to fall back to the CPU;
    # SLURM had given it the (fake) GPU. (SLURM's log of each job: the rule's own log is redone per attempt.)
    for job in finetunes:
        (slurm_log,) = (runs["study"] / ".snakemake" / "slurm_logs").rglob(f"{job}.log")
        text = slurm_log.read_text(errors="replace")
        assert "rule 'finetune' asked for resources gpu=1, but this job sees no CUDA GPU" in text, text[-3000:]
        assert "CUDA_VISIBLE_DEVICES=0" in text
    assert not (runs["study"] / "results/tiny/chains/sotu-replace-s0/g0/model").exists()

    (score,) = scores
    record = job_record(score)
    tres = requested_tres(record)
    assert "TresPerJob" not in record and "gres/gpu" not in tres and tres["mem"] == "600M", record  # a CPU rule asks for no GPU
    assert record["JobState"] == "COMPLETED"
    assert (runs["study"] / "results/tiny/chains/sotu-accumulate-s0/g0/scores/lean.parquet").exists()


def test_the_profiles_retries_rerun_a_failed_job_with_more_memory(runs):
    jobs = submitted(runs["flaky_log"])
    assert [rule for rule, _ in jobs] == ["flaky", "flaky"], runs["flaky_log"].read_text()[-3000:]
    first, second = (job_record(job) for _, job in jobs)
    assert first["JobState"] == "FAILED" and first["ExitCode"] != "0:0"
    assert second["JobState"] == "COMPLETED"
    assert requested_tres(first)["mem"] == "500M" and requested_tres(second)["mem"] == "1000M"
    assert (runs["flaky"] / "done.txt").read_text().strip() == "attempt 1000"
    assert yaml.safe_load((PROFILE / "config.yaml").read_text())["retries"] >= 1  # no --retries given: the profile's
