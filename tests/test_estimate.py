"""The cost estimate (synthloop.estimate): its job counts are a dry run's, its calibration file is checked, and a large
study is announced before it runs.

Dry runs: every miniature, and one slice of every full design (study 2 by dataset x ratio x seed with two generations,
as tests/test_cluster_presets.py plans it; study 1 its center-only chains; studies 3 and 4 one seed).
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from test_cluster_presets import standin_articles

from synthloop.core.config import ConfigError
from synthloop.estimate import JOBS_THRESHOLD, estimate, recorded
from synthloop.estimate.calibration import check, load
from synthloop.estimate.costs import RESOURCE_KIND
from synthloop.estimate.jobs import counts
from synthloop.estimate.report import text
from synthloop.studies import validate

MINIATURES = [
    "config",
    "kovac2025-mini",
    "kovac2025-domains-mini",
    "kovac2025-lean-mini",
    "kovac2025-selection-mini",
    "li2025-mini",
    "zhang2024-mini",
    "wang2024-cpu-smollm2",
]
SLICES = {
    "kovac2025-recursive-loops": {"slice": {"dataset": "twitter", "ratio": 0.0625, "seed": 0}, "generations": 2},
    "wang2024-bias-amplification": {"slice": {"dataset": "center"}},
    "li2025-bias-inheritance": {"seeds": [0]},
    "zhang2024-self-consuming": {"seeds": [0]},
    "zhang2024-cifar": {"seeds": [0]},
}


def config_of(name: str, workdir: Path) -> dict:
    """The preset (or the embedded default) as planned here, with its slice and the stand-in data file it reads."""
    config = yaml.safe_load((ROOT / ("config.yaml" if name == "config" else f"presets/{name}.yaml")).read_text())
    config.update(SLICES.get(name, {}))
    for spec in (config.get("datasets") or {}).values():
        if spec.get("source") == "file":
            standin_articles(workdir / spec["path"], per_label=600)
    return config


def dry_run_counts(config: dict, workdir: Path, *extra: str) -> tuple[dict[str, int], str]:
    """Jobs per rule of a dry run in a fresh directory (Snakemake's job-stats table), and its stderr."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--dry-run",
            "--quiet",
            "rules",
            "--cores",
            "1",
            *extra,
            "--snakefile",
            str(ROOT / "Snakefile"),
            "--directory",
            str(workdir),
            "--configfile",
            str(workdir / "config.yaml"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    stats = result.stdout.split("Job stats:")[-1]
    found = {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", stats, flags=re.M)}
    found.pop("total")
    return found, result.stderr


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> dict[str, tuple[dict, dict, str]]:
    """Each study's config, its dry run's counts and stderr; two dry runs at a time (one per core)."""
    from concurrent.futures import ThreadPoolExecutor

    def run(name):
        workdir = tmp_path_factory.mktemp(name)
        config = config_of(name, workdir)
        return (config, *dry_run_counts(config, workdir)), workdir

    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = {name: pool.submit(run, name) for name in [*MINIATURES, *SLICES]}
        return {name: future.result() for name, future in runs.items()}


@pytest.mark.workflow
@pytest.mark.parametrize("name", [*MINIATURES, *SLICES])
def test_job_counts_are_the_dry_runs(name, planned, monkeypatch):
    (config, expected, _), workdir = planned[name]
    monkeypatch.chdir(workdir)  # local data files are read from the working directory, as the workflow reads them
    assert counts(validate(config)) == expected


@pytest.mark.workflow
def test_a_large_study_is_announced_before_it_runs(planned, tmp_path):
    """Above 1,000 GPU-hours (here: 100,000 epochs on one study-2 slice of 200 chains x 1 generation) the dry run's
    console shows the estimate; the miniatures' do not."""
    config = config_of("kovac2025-recursive-loops", tmp_path)
    config.update(generations=1, finetune={**config["finetune"], "epochs": 100000})
    _, stderr = dry_run_counts(config, tmp_path / "large")
    assert re.search(r"estimate for kovac2025-recursive-loops: 1,004 jobs, [\d,.]+ GPU-hours \(h200\)", stderr), stderr[-2000:]
    assert "above the threshold" in stderr
    for name in MINIATURES:
        assert "estimate for" not in planned[name][0][2], name


def test_the_full_study_2_is_estimated_in_seconds_and_little_memory():
    """1.46 million jobs (18,000 chains x 20 generations x 4 jobs, plus one metrics table per chain and the study-wide jobs)."""
    start = time.perf_counter()
    command = [sys.executable, "-m", "synthloop.estimate", str(ROOT / "presets/kovac2025-recursive-loops.yaml"), "--gpu", "h100"]
    with tempfile.TemporaryFile("w+") as out:
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak memory, not the dry runs'
        seconds = time.perf_counter() - start
        out.seek(0)
        output = out.read()
    peak_gb = usage.ru_maxrss / 1e6  # kB on Linux
    assert os.waitstatus_to_exitcode(status) == 0, output[-2000:]
    total = re.search(r"^total\s+([\d,]+)\s+([\d,.]+)", output, flags=re.M)
    assert total, output
    jobs, gpu_hours = int(total.group(1).replace(",", "")), float(total.group(2).replace(",", ""))
    assert 18000 * (20 * 4 + 1) < jobs < 18000 * (20 * 4 + 1) + 100
    assert jobs > JOBS_THRESHOLD and gpu_hours > 1000
    assert seconds < 60 and peak_gb < 2, (seconds, peak_gb)


def test_the_estimate_is_recorded_in_the_manifest(tmp_path):
    from synthloop.core.provenance import manifest

    config = validate(yaml.safe_load((ROOT / "presets/kovac2025-mini.yaml").read_text()))
    record = manifest(config, ROOT, tmp_path, hub_cache_dir=tmp_path, estimate=recorded(config))
    assert record["estimate"]["jobs"] == sum(counts(config).values())
    assert record["estimate"]["rules"]["finetune"]["jobs"] == 48
    assert "estimate" not in manifest(config, ROOT, tmp_path, hub_cache_dir=tmp_path)


def test_the_selection_stage_is_counted_and_scored():
    """The selection miniature: a select job per selecting chain and generation after the first (3 strategies x 3 seeds x 2),
    the detector, a realised-mix table per chain and the effect table; the step is priced as scoring, not as an analysis."""
    config = validate(yaml.safe_load((ROOT / "presets/kovac2025-selection-mini.yaml").read_text()))
    found = counts(config)
    assert (found["select_synthetic"], found["train_detector"], found["chain_mix"], found["selection_effect"]) == (18, 1, 12, 1)
    rules = {r.rule: r for r in estimate(config).rules}
    assert rules["select_synthetic"].startup > rules["chain_mix"].startup and rules["select_synthetic"].seconds > rules["chain_mix"].seconds
    plain = copy.deepcopy(config)
    for spec in plain["strategies"].values():
        spec.pop("select", None)
    found = counts(plain)
    assert not {"select_synthetic", "chain_mix", "selection_effect"} & set(found) and found["train_detector"] == 1  # still a scorer


def test_start_up_is_named_where_it_dominates():
    """The CPU miniature's jobs are a few seconds of work behind seconds of imports; the output names the keys that cut them."""
    mini = estimate(validate(yaml.safe_load((ROOT / "presets/kovac2025-mini.yaml").read_text())))
    bound = {r.rule for r in mini.startup_bound()}
    assert {"finetune", "generate", "score"} <= bound
    assert "Start-up dominates" in text(mini) and "generate.backend" in text(mini)
    wang = estimate(validate(yaml.safe_load((ROOT / "presets/li2025-bias-inheritance.yaml").read_text())))
    assert "finetune" not in {r.rule for r in wang.startup_bound()}


def test_gpu_kinds_differ_where_the_calibration_says():
    config = validate(yaml.safe_load((ROOT / "presets/li2025-bias-inheritance.yaml").read_text()))
    hours = {gpu: estimate(config, gpu).gpu_hours for gpu in ("h200", "h100", "a100")}
    assert hours["h200"] < hours["h100"] < hours["a100"]


def shipped_data() -> dict:
    return copy.deepcopy(load().data)


@pytest.mark.parametrize(
    "edit, key",
    [
        (lambda d: d["entries"][0].update(finetune_tokens_per_s=-5), "entries[0].finetune_tokens_per_s"),
        (lambda d: d["entries"][1].update(source="guessed"), "entries[1].source"),
        (lambda d: d["startup"].pop("vllm_engine_s"), "startup"),
        (lambda d: d["models"]["gpt2"].pop("layers"), "models.gpt2"),
        (lambda d: d["entries"][2].update(device="tpu"), "entries[2].device"),
    ],
)
def test_a_bad_calibration_is_refused_naming_the_key(edit, key):
    data = shipped_data()
    edit(data)
    with pytest.raises(ConfigError, match=re.escape(f"key '{key}'")):
        check(data, "test")


def test_a_calibration_file_is_read_and_used(tmp_path):
    """A user's file (bench/calibrate.py's format) replaces the shipped figures: twice the throughput, fewer hours."""
    data = shipped_data()
    for entry in data["entries"]:
        for task in ("finetune_tokens_per_s", "generate_tokens_per_s", "vllm_tokens_per_s"):
            if task in entry:
                entry[task] *= 2
    path = tmp_path / "calibration.yaml"
    path.write_text(yaml.safe_dump(data))
    config = validate(yaml.safe_load((ROOT / "presets/li2025-bias-inheritance.yaml").read_text()))
    assert estimate(config, "h100", load(path)).gpu_hours < estimate(config, "h100").gpu_hours
    path.write_text("entries: [")
    with pytest.raises(ConfigError, match="calibration"):
        load(path)


def test_the_shipped_measured_entries_are_the_performance_page_figures():
    """Every measured entry names its run; the H200 figures are the performance page's."""
    readme = (ROOT / "docs/performance.md").read_text()
    measured = [e for e in load().data["entries"] if e["source"] == "measured"]
    h200 = [e for e in measured if e["device"] == "h200"]
    assert h200 and all(f"{e['finetune_tokens_per_s']:,}" in readme and f"{e['generate_tokens_per_s']:,}" in readme for e in h200)
    assert {e["device"] for e in load().data["entries"] if e["source"] == "extrapolated"} >= {"h100", "a100"}


def test_each_rule_asks_for_the_resources_the_cost_model_assumes():
    """RESOURCE_KIND (which rules may hold a GPU) against each rule's resources_for(...) in rules/."""
    declared = {}
    for smk in sorted((ROOT / "rules").rglob("*.smk")):
        for match in re.finditer(r"^\s*rule (\w+):(.*?)(?=^\s*rule \w+:|\Z)", smk.read_text(), flags=re.M | re.S):
            kinds = re.findall(r'resources_for\("(\w+)"\)', match.group(2))
            if kinds:
                declared[match.group(1)] = kinds[0]
    assert declared and all(RESOURCE_KIND.get(rule, "analysis") == kind for rule, kind in declared.items()), {
        rule: (kind, RESOURCE_KIND.get(rule, "analysis")) for rule, kind in declared.items() if RESOURCE_KIND.get(rule, "analysis") != kind
    }
