from synthloop.core.jobs import start

log = start(snakemake)
from synthloop.studies.image_loop.steps import prepare_data

out = snakemake.output
prepare_data(snakemake.params.data, snakemake.params.seed, out.real_train, out.real_test, out.train_g0)
