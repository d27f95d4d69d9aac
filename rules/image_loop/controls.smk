# Study 4's positive control (synthloop.studies.image_loop.control, docs/validation.md): the planted move of the painted
# colour's share beside the move the synthesize jobs' own colour_shares recover.


rule control_table:
    input:
        generated=[run["generated"] for run in PLAN.control_runs()],
        summary=[run["summary"] for run in PLAN.control_runs()],
        real_train=[run["real_train"] for run in PLAN.control_runs()],
    output:
        report(
            path("table", table="control"),
            caption="../../report/image_loop/control.rst",
            category=STUDY,
            subcategory="positive controls",
        ),
    log:
        log("control_table"),
    benchmark:
        bench("control_table")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        runs=[run["keys"] for run in PLAN.control_runs()],
        control=canonical(config["generator_params"].get("control")),
        colours=config["data"]["colourise"]["colours"] if config["data"]["colourise"] else None,
    script:
        "../../scripts/image_loop/control_table.py"
