from synthloop.core.jobs import start

log = start(snakemake)
from synthloop.data import images
from synthloop.studies.image_loop.steps import classify

p = snakemake.params
predictions = classify(
    images.read(snakemake.input.train), images.read(snakemake.input.test), p.config, p.seed, snakemake.output.classifiers
)
predictions.to_parquet(snakemake.output.predictions, index=False)
log.info(
    "test accuracy: %s",
    predictions.assign(ok=predictions.label == predictions.prediction).groupby("classifier")["ok"].mean().round(3).to_dict(),
)
