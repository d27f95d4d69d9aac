"""What every study kind promises of a finished run, on each kind's tiny study (tests/configs/): nothing to do
afterwards, a config only reordered plans no job, and the same config and seed give byte-identical files."""

from pathlib import Path

import pytest
import yaml
from conftest import copy_study, jobs_in, reversed_keys, run_snakemake

from synthloop.core.config import KINDS

pytestmark = [pytest.mark.workflow, pytest.mark.slow]

# A file of generation 1 (or round 1) per kind whose jobs train, sample and score (scorer models too): a second run rebuilds them.
REBUILT = {
    "text_loop": "chains/*/g1/scores/lean.parquet",
    "image_loop": "chains/*/g1/predictions.parquet",
    "inheritance": "arms/*-round1/s*/evaluation.parquet",
}
NOT_RESULTS = ("logs", "benchmarks")  # wall times and log lines, not results


def results_of(workdir: Path) -> Path:
    return workdir / "results" / yaml.safe_load((workdir / "config.yaml").read_text())["study"]


@pytest.mark.parametrize("kind", KINDS)
def test_nothing_to_do_after_a_complete_run(kind, finished_study):
    for triggers in ([], ["--rerun-triggers", "params"]):
        output = run_snakemake(finished_study(kind), None, "-n", *triggers).stdout
        assert jobs_in(output) == [] and "Nothing to be done" in output, output[-3000:]


@pytest.mark.parametrize("kind", KINDS)
def test_a_config_with_its_keys_only_reordered_plans_no_job(kind, finished_study, tmp_path):
    """Snakemake compares params by their repr: the rules pass config mappings through core.config.canonical."""
    study = copy_study(finished_study(kind), tmp_path / "study")
    config = yaml.safe_load((study / "config.yaml").read_text())
    reordered = yaml.safe_dump(reversed_keys(config), sort_keys=False)
    assert yaml.safe_load(reordered) == config and reordered != (study / "config.yaml").read_text()
    (study / "config.yaml").write_text(reordered)
    for triggers in ([], ["--rerun-triggers", "params"]):
        output = run_snakemake(study, None, "-n", *triggers).stdout
        assert jobs_in(output) == [] and "Nothing to be done" in output, output[-3000:]


@pytest.mark.parametrize("kind", KINDS)
def test_the_same_config_and_seed_give_byte_identical_files(kind, finished_study, tmp_path):
    first = results_of(finished_study(kind))
    target = sorted(first.glob(REBUILT[kind]))[0].relative_to(first.parent.parent)
    config = yaml.safe_load((finished_study(kind) / "config.yaml").read_text())
    run_snakemake(tmp_path, config, str(target))
    second = results_of(tmp_path)
    rebuilt = [
        f.relative_to(second) for f in sorted(second.rglob("*")) if f.is_file() and f.relative_to(second).parts[0] not in NOT_RESULTS
    ]
    assert len(rebuilt) >= 4 and Path(*target.parts[2:]) in rebuilt
    differ = [str(f) for f in rebuilt if (first / f).read_bytes() != (second / f).read_bytes()]
    assert not differ, f"{kind}: files that differ between two runs of one config: {differ}"
