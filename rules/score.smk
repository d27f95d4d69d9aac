rule score:
    input:
        unpack(score_inputs),
    output:
        summary=path("score", chain="{chain}", gen="{gen}", scorer="{scorer}"),
        texts=path("score_texts", chain="{chain}", gen="{gen}", scorer="{scorer}"),
    params:
        spec=lambda wc: config["scorers"][wc.scorer],
        assets=score_assets,
    threads: 1
    log:
        log("score", "{chain}/g{gen}/{scorer}"),
    benchmark:
        bench("score", "{chain}/g{gen}/{scorer}")
    conda:
        "../envs/synthloop.yaml"
    resources:
        **resources_for("score"),
    script:
        "../scripts/score.py"
