# The toy models behind the studies (src/synthloop/analysis/theory.py): weighted MLE drift (study 1),
# the histogram-prior toy (study 2) and Gaussian collapse. Parameters: config theory.<toy>,
# theory.toys picks which run.
rule theory:
    output:
        table=report(
            path("theory_table", toy="{toy}"), caption="../../report/text_loop/theory_table.rst", category=STUDY, subcategory="theory"
        ),
        figure=report(
            path("theory_figure", toy="{toy}"), caption="../../report/text_loop/theory_figure.rst", category=STUDY, subcategory="theory"
        ),
    log:
        log("theory", "{toy}"),
    benchmark:
        bench("theory", "{toy}")
    wildcard_constraints:
        toy="|".join(config["theory"]["toys"]) or "(?!)",
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        toy=lambda wc: canonical(config["theory"].get(wc.toy, {})),
    script:
        "../../scripts/text_loop/theory.py"
