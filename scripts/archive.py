from synthloop.core.jobs import start

log = start(snakemake)
from synthloop.core.provenance import verify_archive, write_archive

n = write_archive(snakemake.params.contents, snakemake.output[0])
problems = verify_archive(snakemake.output[0])
if problems:
    raise RuntimeError(f"archive does not verify: {problems[:5]}")
log.info("archived %d files to %s (verified)", n, snakemake.output[0])
