rule metrics:
    input:
        [entry["path"] for entry in PLAN.score_entries()],
    output:
        table=path("metrics"),
        csv=report(
            path("table", table="metrics"), caption="../../report/text_loop/metrics_table.rst", category=STUDY, subcategory="generations"
        ),
    log:
        log("metrics"),
    benchmark:
        bench("metrics")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        entries=keys_of(PLAN.score_entries(), "path"),
    script:
        "../../scripts/text_loop/metrics.py"


rule figure:
    input:
        path("metrics"),
    output:
        report(path("figure", scorer="{scorer}"), caption="../../report/text_loop/figure.rst", category=STUDY, subcategory="generations"),
    log:
        log("figure", "{scorer}"),
    benchmark:
        bench("figure", "{scorer}")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    script:
        "../../scripts/text_loop/figure.py"
