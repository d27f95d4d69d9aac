"""Group jobs in profiles/slurm: a chain's fine-tune and generate of one generation are one sbatch.

A dry run through the profile (the SLURM executor plans group jobs without submitting anything) of the tiny
study: every group holds exactly the fine-tune and the generate of one chain and generation, every such pair is
grouped, and nothing else is (scoring stays its own job, so the next generation does not wait for it).
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import ROOT, TINY_CONFIG

PROFILE = ROOT / "profiles" / "slurm"


def groups_in(output: str) -> dict[str, list[tuple[str, str]]]:
    """Group id -> its (rule, wildcards) from a dry run's job list; the group's jobs are indented under it."""
    groups, current = {}, None
    for line in output.splitlines():
        header = re.match(r"^\[[^\]]+\] Group job (\S+) ", line)
        if header:
            current = groups.setdefault(header.group(1), [])
        elif re.match(r"^\[[^\]]+\]", line):  # an ungrouped job starts at the margin
            current = None
        elif current is not None and (rule := re.match(r"^\s+rule (\w+):", line)):
            current.append([rule.group(1), ""])
        elif current is not None and (wildcards := re.match(r"^\s+wildcards: (.*)$", line)):
            current[-1][1] = wildcards.group(1)
    return {group: [tuple(job) for job in jobs] for group, jobs in groups.items()}


@pytest.mark.workflow
def test_finetune_and_generate_of_a_chain_generation_are_one_group_job(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--dry-run",
            "--profile",
            str(PROFILE),
            "--configfile",
            str(TINY_CONFIG),
            "--directory",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    output = result.stdout + result.stderr
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", output.rsplit("Job stats", 1)[-1], flags=re.M))
    groups = groups_in(output)
    assert len(groups) == int(counts["finetune"]) == int(counts["generate"]) > 1  # one group per chain and generation
    for group, jobs in groups.items():
        assert sorted(rule for rule, _ in jobs) == ["finetune", "generate"], (group, jobs)
        ((chain, gen),) = {re.fullmatch(r"chain=(\S+), gen=(\d+)", wildcards).groups() for _, wildcards in jobs}
        assert group == f"model_{chain}_g{gen}"
