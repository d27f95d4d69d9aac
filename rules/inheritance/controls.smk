# Study 3's positive control (synthloop.studies.inheritance.control, docs/validation.md): the planted gender skew of
# the template backend beside the share the study's own counting finds in each compose job's training set.


rule control_table:
    input:
        [entry["path"] for entry in PLAN.control_sets()],
    output:
        report(
            path("table", table="control"),
            caption="../../report/inheritance/control.rst",
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
        sets=[{k: v for k, v in entry.items() if k != "path"} for entry in PLAN.control_sets()],
        template=canonical(config["augment"].get("template")),
    script:
        "../../scripts/inheritance/control_table.py"
