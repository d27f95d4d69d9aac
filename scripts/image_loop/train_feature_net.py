from synthloop.core.jobs import start

log = start(snakemake)
from synthloop.data import images
from synthloop.studies.image_loop.steps import train_feature_net

p = snakemake.params
real = images.read(snakemake.input.real_train)
train_feature_net(real, p.fid, int(real["label"].max()) + 1, p.training, p.seed, snakemake.output[0])
