"""The end-of-run console summary, on a hand-made metrics table whose first/last means are known."""

import shlex

import numpy as np
import pandas as pd

from synthloop.analysis.summary import headline, report_command, run_summary


def _table() -> pd.DataFrame:
    rows = []
    # replace: two seeds, quality 3.0/2.0 at g0 (mean 2.5) and 1.0/2.0 at g2 (mean 1.5)
    for seed, (g0, g2) in enumerate([(3.0, 1.0), (2.0, 2.0)]):
        for g, v in ((0, g0), (1, 9.0), (2, g2)):
            rows.append(
                {
                    "chain": f"d-replace-s{seed}",
                    "strategy": "replace",
                    "ratio": np.nan,
                    "seed": seed,
                    "generation": g,
                    "scorer": "quality",
                    "metric": "quality_index",
                    "domain": "all",
                    "value": v,
                }
            )
    # a pool strategy at r=0.5: one seed, 10 at g0, 4 at g2
    for g, v in ((0, 10.0), (1, 7.0), (2, 4.0)):
        rows.append(
            {
                "chain": "d-pool-r0.5-s0",
                "strategy": "pool",
                "ratio": 0.5,
                "seed": 0,
                "generation": g,
                "scorer": "quality",
                "metric": "quality_index",
                "domain": "all",
                "value": v,
            }
        )
    return pd.DataFrame(rows)


def test_headline_is_the_mean_over_seeds_at_first_and_last_generation():
    heads = headline(_table()).set_index("line")
    assert heads.loc["replace", ["first", "last"]].tolist() == [2.5, 1.5]
    assert heads.loc["pool r=0.5", ["first", "last"]].tolist() == [10.0, 4.0]
    assert heads.loc["replace", ["first_generation", "last_generation"]].tolist() == [0, 2]


def test_summary_names_results_headline_and_report_command(tmp_path):
    metrics = tmp_path / "results" / "tiny" / "metrics.parquet"
    metrics.parent.mkdir(parents=True)
    _table().to_parquet(metrics)
    command = report_command("Snakefile", tmp_path, ["my config.yaml"], "results/tiny")
    text = run_summary(tmp_path / "results" / "tiny", metrics, command)
    assert str((tmp_path / "results" / "tiny").resolve()) in text
    assert "quality/quality_index  replace     g0: 2.5 -> g2: 1.5" in text
    assert "pool r=0.5  g0: 10 -> g2: 4" in text
    parts = shlex.split(text.split("report: ")[1])
    assert parts[0] == "snakemake" and parts[parts.index("--report") + 1] == str(tmp_path.resolve() / "results/tiny/report.html")
    assert parts[parts.index("--configfile") + 1].endswith("my config.yaml")  # quoted, one argument


def test_summary_without_a_metrics_table_still_says_where_and_how(tmp_path):
    text = run_summary(tmp_path, None, "snakemake --report r.html")
    assert str(tmp_path.resolve()) in text and "snakemake --report r.html" in text and "headline" not in text
    (tmp_path / "broken.parquet").write_text("not parquet")
    assert "unreadable" in run_summary(tmp_path, tmp_path / "broken.parquet", "cmd")
