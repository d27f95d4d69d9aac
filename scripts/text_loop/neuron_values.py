from synthloop.core.jobs import start

log = start(snakemake)
import numpy as np
import pandas as pd

from synthloop.lm.models import load_causal_lm
from synthloop.studies.text_loop.neurons import neuron_values, probe_texts

p = snakemake.params
probes = probe_texts(pd.read_parquet(snakemake.input.probes)["text"], p.probe_size, p.seed)
for model_dir, target in zip(snakemake.input.models, snakemake.output):
    model, tokenizer = load_causal_lm(model_dir)
    values = neuron_values(model, probes, tokenizer, batch_size=p.batch_size, max_length=p.max_length)
    log.info("%s: %d probe texts; values %s", model_dir, len(probes), {kind: array.shape for kind, array in values.items()})
    np.savez_compressed(target, **values)
