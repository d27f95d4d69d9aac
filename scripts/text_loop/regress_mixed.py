from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.analysis.regression import coefficient_plot, design_table, mixed_predictors, regress_mixed, relative_shift, select_responses
from synthloop.scorers.registry import ALL_DOMAINS
from synthloop.studies.text_loop.clusters import PROPERTIES

p, settings = snakemake.params, snakemake.params.regression
metrics = pd.read_parquet(snakemake.input.metrics)
metrics = select_responses(metrics[metrics["domain"] != ALL_DOMAINS], settings["responses"])
properties = pd.concat([pd.read_parquet(f).assign(dataset=d) for d, f in zip(p.domains, snakemake.input.properties)])
table = mixed_predictors(pd.read_parquet(snakemake.input.components), properties, settings["predictors"] or list(PROPERTIES))
shifts = relative_shift(metrics, settings["last_k"]).rename(columns={"cluster": "cluster_id"})
data = design_table(shifts, table, ["chain", "cluster_id", "strategy", "ratio", "seed", "domain"])
results = regress_mixed(data, sorted(shifts["metric"].unique()), [c for c in table.columns if c != "cluster_id"])
log.info("%d regressions", results.groupby(["scope", "response"]).ngroups)
results.to_csv(snakemake.output.coefficients, index=False)
pooled = results[results["scope"].str.endswith("pooled")]
coefficient_plot(pooled, snakemake.output.figure, panel="domain", row="response",
                 title="each domain's relative shift on every domain's standardised cluster properties (pooled over ratios)")
