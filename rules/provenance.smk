# Provenance and the archive of the results tree (`snakemake --archive` packs code and inputs,
# not results). `snakemake archive` builds everything, then packs it with checksums.


rule manifest:
    input:
        all_targets(),
    output:
        manifest=path("manifest"),
        timings=path("table", table="job_timings"),
    params:
        config=config,
        workflow_dir=workflow.basedir,
        benchmarks=f"{RESULTS}/benchmarks",
    log:
        log("manifest"),
    conda:
        "../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    script:
        "../scripts/manifest.py"


rule archive:
    input:
        path("manifest"),
    output:
        path("archive"),
    params:
        contents=[RESULTS, ".snakemake/metadata", *workflow.configfiles],
    log:
        path("archive_log"),
    conda:
        "../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    script:
        "../scripts/archive.py"
