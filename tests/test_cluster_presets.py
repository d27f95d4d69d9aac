"""Every preset plans through profiles/slurm: the README's cluster command works for every study kind.

A dry run through the profile (the SLURM executor plans jobs and group jobs without submitting anything).
A preset that reads a data file the user supplies gets a stand-in file of the same columns; the full
study-2 design (about 1.46 million jobs) is planned as one of its slices, with two generations.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

pytestmark = [pytest.mark.workflow, pytest.mark.slow]
PROFILE = ROOT / "profiles" / "slurm"
PRESETS = sorted((ROOT / "presets").glob("*.yaml"))
LARGE = {"kovac2025-recursive-loops": {"slice": {"dataset": "twitter", "ratio": 0.0625, "seed": 0}, "generations": 2}}


def standin_articles(path: Path, per_label: int) -> None:
    """A CSV with the columns the Wang et al. preset reads (title, body, label in Left/Center/Right)."""
    import pandas as pd

    words = "the congress passed a budget for schools roads and workers across the nation this year".split()
    rows = [
        {"title": f"Article {label} {i}", "body": " ".join(words[(i + j) % len(words)] for j in range(40)), "label": label}
        for label in ("Left", "Center", "Right")
        for i in range(per_label)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(path, index=False)


def preset_config(preset: Path, workdir: Path) -> Path:
    """The preset as a user runs it, with stand-ins for the data files it names and a slice of a design too large to plan whole."""
    config = yaml.safe_load(preset.read_text())
    config.update(LARGE.get(preset.stem, {}))
    for spec in (config.get("datasets") or {}).values():
        if spec.get("source") == "file" and not (workdir / spec["path"]).exists():
            standin_articles(workdir / spec["path"], per_label=600)
    out = workdir / "config.yaml"
    out.write_text(yaml.safe_dump(config))
    return out


def dry_run(preset: Path, workdir: Path) -> subprocess.CompletedProcess:
    configfile = preset_config(preset, workdir)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--dry-run",
            "--profile",
            str(PROFILE),
            "--snakefile",
            str(ROOT / "Snakefile"),
            "--configfile",
            str(configfile),
            "--directory",
            str(workdir),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )


@pytest.fixture(scope="module")
def plans(tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """Every preset's dry run, two at a time (one per core: each is one single-threaded Snakemake process)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = {p.stem: pool.submit(dry_run, p, tmp_path_factory.mktemp(p.stem)) for p in PRESETS}
        return {name: run.result() for name, run in runs.items()}


@pytest.mark.parametrize("preset", [p.stem for p in PRESETS])
def test_every_preset_plans_through_the_slurm_profile(preset, plans):
    result = plans[preset]
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    total = re.search(r"^total\s+(\d+)$", output, flags=re.M)
    assert total and int(total.group(1)) > 1, output[-2000:]
    assert "Error" not in output, output[-4000:]
