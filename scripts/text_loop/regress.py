from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.analysis.regression import coefficient_plot, regress_clusters, table1, write_markdown
from synthloop.scorers.registry import ALL_DOMAINS
from synthloop.studies.text_loop.clusters import PROPERTIES

settings = snakemake.params.regression
metrics = pd.read_parquet(snakemake.input.metrics)
metrics = metrics[metrics["domain"] == ALL_DOMAINS]  # mixed chains: regress_mixed
properties = pd.concat([pd.read_parquet(p).assign(dataset=d) for d, p in zip(snakemake.params.datasets, snakemake.input.properties)])
results = regress_clusters(metrics, properties, settings, settings["predictors"] or list(PROPERTIES))
log.info("%d regressions", results.groupby(["scope", "response"]).ngroups)
results.to_csv(snakemake.output.coefficients, index=False)
pooled = results[results["scope"] == "pooled"]
write_markdown(table1(pooled), snakemake.output.table1)
coefficient_plot(pooled, snakemake.output.figure, title="relative shift on standardised cluster properties (pooled)")
