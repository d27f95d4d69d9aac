"""The report a reviewer reads: bands across seeds in figures over generations, and the tiny study's report.

The report test builds `snakemake --report` (zip form) for the tiny study and checks that every figure
has its own caption, and that the metrics table, the classifier tables and the resolved config are in it.
"""

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, copy_study
from scipy import stats

from synthloop.analysis.metrics import across_seeds, plot_scorer
from synthloop.core import figures

SNAKEMAKE = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--cores", "2"]


def _rows(values_by_seed: dict[int, float], generation: int = 1, ci=(0.0, 9.0)) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"line": "replace", "domain": "all", "generation": generation, "seed": seed, "value": value, "ci_low": ci[0], "ci_high": ci[1]}
            for seed, value in values_by_seed.items()
        ]
    )


def test_band_is_a_t_interval_across_seeds():
    out = across_seeds(_rows({0: 1.0, 1: 2.0, 2: 4.0})).iloc[0]
    low, high = stats.t.interval(0.95, 2, loc=np.mean([1, 2, 4]), scale=stats.sem([1, 2, 4]))
    assert out["value"] == pytest.approx(7 / 3)
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((low, high))
    assert out["band"] == "seeds" and out["n"] == 3


def test_clusters_of_one_seed_count_once():
    # seed 0 has two clusters (1 and 3: mean 2), seed 1 one (6): the mean is over seeds, (2 + 6) / 2, not (1 + 3 + 6) / 3
    rows = pd.concat([_rows({0: 1.0}), _rows({0: 3.0}), _rows({1: 6.0})], ignore_index=True)
    out = across_seeds(rows).iloc[0]
    assert out["value"] == pytest.approx(4.0) and out["n"] == 2
    assert out["ci_high"] - out["value"] == pytest.approx(stats.t.ppf(0.975, 1) * np.std([2, 6], ddof=1) / np.sqrt(2))


def test_one_seed_keeps_the_texts_interval():
    out = across_seeds(_rows({0: 5.0}, ci=(4.0, 6.5))).iloc[0]
    assert (out["value"], out["ci_low"], out["ci_high"], out["band"]) == (5.0, 4.0, 6.5, "texts")


def test_colours_follow_the_name_not_the_figure():
    names = ["replace", "accumulate", "accumulate_subsample"]
    assert figures.colour_for("replace", names) == figures.colour_for("replace", list(reversed(names)))
    assert len({figures.colour_for(n, names) for n in names}) == 3


def test_scorer_figure_has_integer_generation_ticks(tmp_path, monkeypatch):
    """Three generations over two seeds: the x ticks are whole generations, the title names the band."""
    seen = {}
    monkeypatch.setattr(figures, "save", lambda fig, path: seen.update(fig=fig))
    table = pd.DataFrame(
        [
            {
                "chain": f"c{seed}",
                "strategy": "replace",
                "ratio": np.nan,
                "seed": seed,
                "generation": g,
                "scorer": "q",
                "domain": "all",
                "metric": "quality_index",
                "value": g + seed,
                "ci_low": g,
                "ci_high": g + 1,
            }
            for seed in (0, 1)
            for g in range(3)
        ]
    )
    plot_scorer(table, "q", tmp_path / "q.png")
    ax = seen["fig"].axes[0]
    ticks = [t for t in ax.get_xticks() if 0 <= t <= 2]
    assert ticks and all(float(t).is_integer() for t in ticks)
    assert "seeds (n=2)" in seen["fig"]._suptitle.get_text()


# -- the tiny study's report ---------------------------------------------------------------------


def snakemake(workdir: Path, *args) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [*SNAKEMAKE, *args, "--directory", str(workdir), "--configfile", str(workdir / "config.yaml")], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    return result


@pytest.fixture(scope="module")
def report(tiny_study, tmp_path_factory):
    """The report of (a copy of) the session's finished tiny study, as its HTML page's text."""
    workdir = copy_study(tiny_study, tmp_path_factory.mktemp("report") / "study")
    snakemake(workdir, "--report", "report.zip")
    with zipfile.ZipFile(workdir / "report.zip") as archive:
        html = archive.read(next(n for n in archive.namelist() if n.endswith("report.html"))).decode()
    return html


def _object(html: str, name: str) -> dict:
    """One of the report's JSON objects (`results`, `categories`) that the page's scripts read."""
    match = re.search(rf"var {name} = (\{{.*?\}});\s*\n", html, flags=re.S)
    assert match, f"no {name} object in the report"
    return json.loads(match.group(1))


def _results(html: str) -> dict:
    return _object(html, "results")


@pytest.mark.workflow
@pytest.mark.slow
def test_every_figure_has_its_own_caption(report):
    results = _results(report)
    figures_ = {path: entry for path, entry in results.items() if path.endswith(".png")}
    expected = {"lean.png", "quality.png", "perplexity.png", "overlap.png", "correlations.png", "weighted_mle.png"}
    assert expected <= {Path(p).name for p in figures_}
    captions = [entry["caption"] for entry in figures_.values()]
    assert all(len(c) > 200 for c in captions)
    assert len(set(captions)) == len(captions)  # no caption shared by two figures
    assert all(re.search(r"Paper:|four papers", c) for c in captions)  # each says where it stands in the paper


@pytest.mark.workflow
@pytest.mark.slow
def test_tables_config_and_description_are_in_the_report(report):
    results = _results(report)
    names = {Path(p).name for p in results}
    assert {"metrics.csv", "lean_classifier_sotu.csv", "quality_classifier_sotu.csv", "manifest.json", "job_timings.csv"} <= names
    lean = next(e for p, e in results.items() if p.endswith("lean_classifier_sotu.csv"))
    assert "heldout_group" in lean["caption"] and "caveat" in lean["caption"].lower()  # the table itself, inline, and the caveat
    manifest = next(e for p, e in results.items() if p.endswith("manifest.json"))
    assert "finetune_size" in manifest["caption"]  # the resolved config, defaults filled in
    assert "Wang et al." in report and "tiny" in report  # the landing page: which paper, which config
    categories = _object(report, "categories")
    assert list(categories) == ["tiny"]  # one category per study, its stages as subcategories
    sizes = {sub: len(paths) for sub, paths in categories["tiny"].items()}
    assert {"generations", "scorer models", "neurons", "theory", "provenance"} <= set(sizes)
    assert all(n > 1 for n in sizes.values()), sizes  # no one-item subcategories
