from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.analysis.regression import coefficient_plot, regress_mixed_clusters
from synthloop.scorers.registry import ALL_DOMAINS
from synthloop.studies.text_loop.clusters import PROPERTIES

p, settings = snakemake.params, snakemake.params.regression
metrics = pd.read_parquet(snakemake.input.metrics)
metrics = metrics[metrics["domain"] != ALL_DOMAINS]
properties = pd.concat([pd.read_parquet(f).assign(dataset=d) for d, f in zip(p.domains, snakemake.input.properties)])
components = pd.read_parquet(snakemake.input.components)
results = regress_mixed_clusters(metrics, properties, components, settings, settings["predictors"] or list(PROPERTIES))
log.info("%d regressions", results.groupby(["scope", "response"]).ngroups)
results.to_csv(snakemake.output.coefficients, index=False)
pooled = results[results["scope"].str.endswith("pooled")]
coefficient_plot(
    pooled,
    snakemake.output.figure,
    panel="domain",
    row="response",
    title="each domain's relative shift on every domain's standardised cluster properties (pooled over ratios)",
)
