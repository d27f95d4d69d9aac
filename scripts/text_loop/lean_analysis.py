from synthloop.core.jobs import start

start(snakemake)
import pandas as pd

from synthloop.studies.text_loop.lean import bucket_table, final_vs_initial, lean_sets, plot_bucket_shares, plot_final_vs_initial

real = {name: pd.read_parquet(p)["lean"] for name, p in zip(snakemake.params.partitions, snakemake.input.partitions)}
sets = lean_sets(snakemake.params.entries, real, [pd.read_parquet(p) for p in snakemake.input.texts])
final, buckets = final_vs_initial(sets), bucket_table(sets)
final.to_csv(snakemake.output.final, index=False)
buckets.to_csv(snakemake.output.buckets, index=False)
plot_final_vs_initial(final, snakemake.output.final_figure)
plot_bucket_shares(buckets, snakemake.output.buckets_figure)
