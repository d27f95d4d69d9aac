from synthloop.core.jobs import start

log = start(snakemake)
import pandas as pd

from synthloop.studies.image_loop.conjecture import fit_study

p, i, out = snakemake.params, snakemake.input, snakemake.output
generated = [pd.read_parquet(f, columns=["entropy", "label"]) for f in i.generated]
coefficients, amplification = fit_study(
    pd.read_parquet(i.metrics), pd.read_parquet(i.fid), generated, p.synthesis_keys, p.arms, p.conjecture["bias"], out.figure
)
coefficients.to_csv(out.fit, index=False)
amplification.to_csv(out.amplification, index=False)
log.info("eq. 6 fitted: %d coefficients, %d steps", len(coefficients), len(amplification))
