rule metrics:
    input:
        [entry["path"] for entry in score_entries()],
    output:
        table=path("metrics"),
        csv=path("table", table="metrics"),
    params:
        entries=score_entries(),
    log:
        log("metrics"),
    benchmark:
        bench("metrics")
    conda:
        "../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    script:
        "../scripts/metrics.py"


rule figure:
    input:
        path("metrics"),
    output:
        report(path("figure", scorer="{scorer}"), category=STUDY, subcategory="{scorer}", caption="../report/figure.rst"),
    log:
        log("figure", "{scorer}"),
    benchmark:
        bench("figure", "{scorer}")
    conda:
        "../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    script:
        "../scripts/figure.py"
