from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.analysis.regression import (
                    coefficient_plot,
                    design_table,
                    regress_all,
                    relative_shift,
                    select_responses,
                    table1,
                    write_markdown,
)
from synthloop.scorers.registry import ALL_DOMAINS
from synthloop.studies.text_loop.clusters import PROPERTIES

settings = snakemake.params.regression
metrics = pd.read_parquet(snakemake.input.metrics)
metrics = select_responses(metrics[metrics["domain"] == ALL_DOMAINS], settings["responses"])  # mixed chains: regress_mixed
properties = pd.concat([pd.read_parquet(p).assign(dataset=d) for d, p in zip(snakemake.params.datasets, snakemake.input.properties)])
predictors = [c for c in (settings["predictors"] or PROPERTIES) if c in properties]
shifts = relative_shift(metrics, settings["last_k"])
data = design_table(shifts.rename(columns={"cluster": "cluster_id"}), properties, ["chain", "dataset", "cluster_id", "strategy", "ratio", "seed"],
                    on=["dataset", "cluster_id"])
responses = sorted(shifts["metric"].unique())
results = regress_all(data, responses, predictors)
log.info("%d regressions", results.groupby(["scope", "response"]).ngroups)
results.to_csv(snakemake.output.coefficients, index=False)
pooled = results[results["scope"] == "pooled"]
write_markdown(table1(pooled), snakemake.output.table1)
coefficient_plot(pooled, snakemake.output.figure, title="relative shift on standardised cluster properties (pooled)")
