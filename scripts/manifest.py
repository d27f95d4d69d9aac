from synthloop.core.jobs import start

log = start(snakemake)
import json

from synthloop.core.provenance import job_timings, manifest
from synthloop.estimate import recorded

record = manifest(
    snakemake.params.config, snakemake.params.workflow_dir, snakemake.params.benchmarks, estimate=recorded(snakemake.params.config)
)
job_timings(snakemake.params.benchmarks).to_csv(snakemake.output.timings, index=False)
with open(snakemake.output.manifest, "w") as out:
    json.dump(record, out, indent=2, default=str)
log.info("manifest: %d jobs, config %s", record["jobs"], record["config_sha256"][:12])
log.info("hub sources not in this machine's cache (commit unknown): %s", [s["key"] for s in record["hub"] if s["commit"] is None] or "none")
