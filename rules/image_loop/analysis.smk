# Metrics per chain x generation x classifier (subgroups joined here, from the test table), FID, figures.


rule image_metrics:
    input:
        **PLAN.metrics_inputs(),
    output:
        metrics=path("image_metrics"),
        fid=path("fid_metrics"),
        table1=report(
            path("table", table="fid_by_generation"),
            caption="../../report/image_loop/fid_table.rst",
            category=STUDY,
            subcategory="generators",
        ),
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
        test_keys=PLAN.test_keys(),
        fid_features=fid_features(config["fid"]),
        synthesis_keys=PLAN.synthesis_keys(),
        fairness=canonical(config["fairness"]),
    script:
        "../../scripts/image_loop/metrics.py"


# Every figure in one job (seconds each; one Python start-up instead of one per figure).
rule image_figures:
    input:
        metrics=path("image_metrics"),
        fid=path("fid_metrics"),
    output:
        **{
            name: report(
                path("image_figure", figure=name), caption=f"../../report/image_loop/{caption}.rst", category=STUDY, subcategory=stage
            )
            for name, caption, stage in PLAN.figure_reports()
        },
    log:
        log("image_figures"),
    benchmark:
        bench("image_figures")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        figures=PLAN.figures(),
    script:
        "../../scripts/image_loop/figure.py"


# The conjecture (eq. 6) fitted to the measured bias series: coefficients with intervals and A_t per step.
rule image_conjecture:
    input:
        **PLAN.conjecture_inputs(),
    output:
        fit=path("table", table="conjecture_fit"),
        amplification=path("table", table="conjecture_amplification"),
        figure=report(
            path("image_figure", figure="conjecture"),
            caption="../../report/image_loop/conjecture.rst",
            category=STUDY,
            subcategory="classifiers",
        ),
    log:
        log("image_conjecture"),
    benchmark:
        bench("image_conjecture")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        synthesis_keys=PLAN.synthesis_keys(),
        arms=PLAN.arm_columns(),
        conjecture=canonical(config["conjecture"]),
    script:
        "../../scripts/image_loop/conjecture.py"
