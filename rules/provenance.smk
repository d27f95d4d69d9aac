# Provenance and the archive of the results tree (`snakemake --archive` packs code and inputs,
# not results). `snakemake archive` builds everything, then packs it with checksums.


rule manifest:
    input:
        TARGETS,
    output:
        manifest=report(path("manifest"), caption="../report/manifest.rst", category=STUDY, subcategory="provenance"),
        timings=report(path("table", table="job_timings"), caption="../report/timings.rst", category=STUDY, subcategory="provenance"),
    log:
        log("manifest"),
    conda:
        "../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        config=canonical(config),
        workflow_dir=workflow.basedir,
        benchmarks=f"{RESULTS}/benchmarks",
    script:
        "../scripts/manifest.py"


rule archive:
    input:
        path("manifest"),
    output:
        path("archive"),
        digest=path("archive") + ".sha256",
    log:
        path("archive_log"),
    conda:
        "../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        contents=[RESULTS, ".snakemake/metadata", *workflow.configfiles],
    script:
        "../scripts/archive.py"
