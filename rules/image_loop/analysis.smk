# Metrics per chain x generation x classifier (subgroups joined here, from the test table), FID, figures.


rule image_metrics:
    input:
        **PLAN.metrics_inputs(),
    output:
        metrics=path("image_metrics"),
        fid=path("fid_metrics"),
        table1=report(path("table", table="fid_by_generation"), caption="../../report/image_loop/fid_table.rst", category=STUDY, subcategory="generators"),
    log:
        log("image_metrics"),
    benchmark:
        bench("image_metrics")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        chain_keys=PLAN.metrics_keys(),
        fairness=config["fairness"],
    script:
        "../../scripts/image_loop/metrics.py"


rule metric_figure:
    input:
        metrics=path("image_metrics"),
        fid=path("fid_metrics"),
    output:
        report(path("image_figure", figure="{metric}"), caption="../../report/image_loop/metric.rst", category=STUDY, subcategory="classifiers"),
    log:
        log("metric_figure", "{metric}"),
    benchmark:
        bench("metric_figure", "{metric}")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        figure=lambda wc: wc.metric,
    script:
        "../../scripts/image_loop/figure.py"


rule fid_figure:
    input:
        metrics=path("image_metrics"),
        fid=path("fid_metrics"),
    output:
        report(path("image_figure", figure="fid"), caption="../../report/image_loop/fid.rst", category=STUDY, subcategory="generators"),
    log:
        log("fid_figure"),
    benchmark:
        bench("fid_figure")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        figure="fid",
    script:
        "../../scripts/image_loop/figure.py"


rule acc_k_figure:
    input:
        metrics=path("image_metrics"),
        fid=path("fid_metrics"),
    output:
        report(path("image_figure", figure="acc_k_{generator}"), caption="../../report/image_loop/acc_k.rst", category=STUDY, subcategory="subgroups"),
    log:
        log("acc_k_figure", "{generator}"),
    benchmark:
        bench("acc_k_figure", "{generator}")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        figure=lambda wc: f"acc_k_{wc.generator}",
    script:
        "../../scripts/image_loop/figure.py"
