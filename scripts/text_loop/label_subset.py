from synthloop.core.jobs import start

log = start(snakemake)
from synthloop.data.documents import load_documents
from synthloop.studies.text_loop.subsets import draw_label_subset

p = snakemake.params
subset = draw_label_subset(load_documents(p.source_spec, p.spec["from"]), snakemake.wildcards.dataset, p.spec, p.seed)
log.info("%d documents of labels %s from dataset %r", len(subset), p.spec["keep_labels"], p.spec["from"])
subset.to_parquet(snakemake.output[0])
