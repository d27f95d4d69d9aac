from synthloop.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.regression import coefficient_plot, design_table, regress_all, relative_shift, table1, write_markdown

settings = snakemake.params.regression
metrics = pd.read_parquet(snakemake.input.metrics)
if settings["responses"]:
    wanted = pd.DataFrame(settings["responses"])
    metrics = metrics.merge(wanted, on=["scorer", "metric"])
metrics = metrics.assign(metric=metrics["scorer"] + ":" + metrics["metric"]).drop(columns=["relative"])
properties = pd.concat([pd.read_parquet(p).assign(dataset=p.split("/")[-2]) for p in snakemake.input.properties])
predictors = [c for c in ("semantic_diversity", "self_bleu", "gaussianity_aic", "quality", "positivity", "length_words") if c in properties]
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
