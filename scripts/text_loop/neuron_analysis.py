from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.studies.text_loop.neurons import analyse_neurons, load_versions, plot_correlation_histograms, plot_set_overlap

p, out = snakemake.params, snakemake.output
values, generations = load_versions(p.versions, snakemake.input.values)
analysis = analyse_neurons(values, generations, pd.read_parquet(snakemake.input.metrics), p.metrics, p.maxlags, p.alpha)
log.info("set sizes:\n%s\noverlap:\n%s", analysis.set_sizes.to_string(), analysis.overlap.to_string())
analysis.per_neuron.to_parquet(out.per_neuron)
analysis.set_sizes.to_csv(out.set_sizes, index=False)
analysis.overlap.to_csv(out.overlap, index=False)
plot_set_overlap(analysis.per_neuron, out.venn)
plot_correlation_histograms(analysis.per_neuron, out.correlations)
