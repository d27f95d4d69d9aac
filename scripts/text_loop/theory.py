from synthloop.core.jobs import start

log = start(snakemake)
from synthloop.analysis.theory import run_toy

table = run_toy(snakemake.wildcards.toy, dict(snakemake.params.toy), snakemake.output.table, snakemake.output.figure)
log.info("%s: %d rows\n%s", snakemake.wildcards.toy, len(table), table.head(20).to_string())
