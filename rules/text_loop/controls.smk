# Positive controls of studies 1 and 2 (synthloop.studies.text_loop.controls, docs/validation.md): the
# planted value beside the one the study's own measurement recovers, with its 95% interval and a verdict.


# Study 1: generate.backend control plants each generation's right share; the lean scorers measure it.
rule lean_control:
    input:
        metrics=path("metrics"),
        tables=PLAN.lean_control_tables(),
    output:
        report(
            path("table", table="lean_control"),
            caption="../../report/text_loop/controls.rst",
            category=STUDY,
            subcategory="positive controls",
        ),
    log:
        log("lean_control"),
    benchmark:
        bench("lean_control")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        control=canonical(config["generate"].get("control")),
        scorers=PLAN.lean_control_scorers(),
        generations=PLAN.generations,
    script:
        "../../scripts/text_loop/lean_control.py"


# Study 2: a metric planted on the real clusters' properties, regressed by the study's own regression.
rule cluster_control:
    input:
        properties=[path("cluster_properties", dataset=d) for d in chain_datasets(config)],
    output:
        report(
            path("table", table="cluster_control"),
            caption="../../report/text_loop/controls.rst",
            category=STUDY,
            subcategory="positive controls",
        ),
    log:
        log("cluster_control"),
    benchmark:
        bench("cluster_control")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        regression=canonical(config["regression"]),
        datasets=chain_datasets(config),
        ratios=PLAN.control_ratios(),
        seeds=config["seeds"],
        generations=PLAN.generations,
    script:
        "../../scripts/text_loop/cluster_control.py"
