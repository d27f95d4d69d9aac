from synthloop.core.jobs import start

log = start(snakemake)
import json
from pathlib import Path

from synthloop.data import images
from synthloop.studies.image_loop.steps import filter_scorer, load_classifier, synthesize, weights_name

p, i, out = snakemake.params, snakemake.input, snakemake.output
previous, real = images.read(i.previous), images.read(i.real_train)
feature_net = load_classifier(i.feature_net) if "feature_net" in i.keys() else None
filter_net = Path(i.filter_net) / weights_name(p.filter_classifier) if p.filter_classifier else None
uncertainty = filter_scorer(p.config["filter"], filter_net, int(real["label"].max()) + 1, p.seed)
train, generated, summary = synthesize(
    previous, real, p.generator, p.gen, p.ratio, p.config, p.seed, feature_net, uncertainty, out.train + ".checkpoints"
)
images.write(train, out.train)
images.write(generated, out.generated)
Path(out.summary).write_text(json.dumps(summary, indent=1))
