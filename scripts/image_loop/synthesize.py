from synthloop.core.jobs import start

log = start(snakemake)
import json
from pathlib import Path

from synthloop.data import images
from synthloop.studies.image_loop.steps import load_classifier, synthesize, weights_name

p, i, out = snakemake.params, snakemake.input, snakemake.output
feature_net = load_classifier(i.feature_net) if "feature_net" in i.keys() else None
filter_net = load_classifier(Path(i.filter_net) / weights_name(p.filter_classifier)) if p.filter_classifier else None
train, generated, summary = synthesize(images.read(i.previous), images.read(i.real_train), p.generator, p.gen, p.ratio, p.config, p.seed,
                                       feature_net, filter_net, out.train + ".checkpoints")
images.write(train, out.train)
images.write(generated, out.generated)
Path(out.summary).write_text(json.dumps(summary, indent=1))
