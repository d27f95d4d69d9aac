from synthloop.core.jobs import start

start(snakemake)
import pandas as pd

from synthloop.studies.text_loop.lean import REAL, bucket_table, final_vs_initial, lean_values, plot_bucket_shares, plot_final_vs_initial

real = {name: pd.read_parquet(p)["lean"] for name, p in zip(snakemake.params.partitions, snakemake.input.partitions)}
sets = []
for entry in snakemake.params.entries:
    keys = {k: v for k, v in entry.items() if k not in ("texts", "kind")}
    sets.append(({**keys, "generation": REAL}, real[entry["dataset"]]))
    sets += [({**keys, "generation": g}, lean_values(pd.read_parquet(p), entry["kind"])) for g, p in enumerate(entry["texts"])]
final, buckets = final_vs_initial(sets), bucket_table(sets)
final.to_csv(snakemake.output.final, index=False)
buckets.to_csv(snakemake.output.buckets, index=False)
plot_final_vs_initial(final, snakemake.output.final_figure)
plot_bucket_shares(buckets, snakemake.output.buckets_figure)
