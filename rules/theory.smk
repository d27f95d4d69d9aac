# The toy models behind the studies (src/synthloop/theory.py): weighted MLE drift (study 1),
# the histogram-prior toy (study 2) and Gaussian collapse. Parameters: config theory.<toy>,
# defaults in code; theory.toys picks which run.

rule theory:
    output:
        table=path("theory_table", toy="{toy}"),
        figure=report(path("theory_figure", toy="{toy}"), category="theory", subcategory="{toy}"),
    params:
        toy=lambda wc: THEORY.get(wc.toy, {}),
    wildcard_constraints:
        toy="weighted_mle|histogram_prior|gaussian_collapse",
    log:
        log("theory", "{toy}"),
    benchmark:
        bench("theory", "{toy}")
    conda:
        "../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    script:
        "../scripts/theory.py"
