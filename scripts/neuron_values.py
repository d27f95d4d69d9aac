from synthloop.jobs import start

log = start(snakemake)
import numpy as np
import pandas as pd

from synthloop.models import load_causal_lm
from synthloop.neurons import neuron_values, probe_texts

p = snakemake.params
model, tokenizer = load_causal_lm(snakemake.input.model, trust_remote_code=p.trust_remote_code)
probes = probe_texts(pd.read_parquet(snakemake.input.probes)["text"], p.probe_size, p.seed)
values = neuron_values(model, probes, tokenizer, batch_size=p.batch_size, max_length=p.max_length)
log.info("%d probe texts; values %s", len(probes), {kind: array.shape for kind, array in values.items()})
np.savez_compressed(snakemake.output[0], **values)
