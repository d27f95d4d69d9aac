from synthloop.core.jobs import start

log = start(snakemake)
from synthloop.data.documents import balanced_split, load_documents

spec = snakemake.params.spec
documents = load_documents(spec, snakemake.wildcards.dataset)
finetune, heldout = balanced_split(documents, spec["finetune_size"], spec.get("heldout_size"), snakemake.params.seed)
log.info(
    "%d documents: %d fine-tuning (%s), %d held out",
    len(documents),
    len(finetune),
    finetune["label"].value_counts().to_dict(),
    len(heldout),
)
finetune.to_parquet(snakemake.output.finetune)
heldout.to_parquet(snakemake.output.heldout)
