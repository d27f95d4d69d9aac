rule score:
    """Every configured scorer on one text set in one job: each model loads once, and each
    embedder runs once, its vectors shared by every embedding-based scorer (and kept)."""
    input:
        unpack(lambda wc: PLAN.score_inputs(wc.chain, int(wc.gen))),
    output:
        summaries=[path("score", chain="{chain}", gen="{gen}", scorer=s) for s in PLAN.scorers],
        texts=[path("score_texts", chain="{chain}", gen="{gen}", scorer=s) for s in PLAN.scorers],
        embeddings=[path("embeddings", chain="{chain}", gen="{gen}", embedder=e) for e in PLAN.embedders],
    log:
        log("score", "{chain}/g{gen}"),
    benchmark:
        bench("score", "{chain}/g{gen}")
    conda:
        "../../envs/synthloop.yaml"
    threads: threads_for("score", 1)
    resources:
        **resources_for("score"),
    params:
        scorers=PLAN.scorers,
        specs=canonical(config["scorers"]),
        embedders=canonical({e: config["embedders"][e] for e in PLAN.embedders}),
        assets=lambda wc: PLAN.scored_domains(wc.chain, int(wc.gen)),
        eval_sample=lambda wc: PLAN.eval_sample(wc.chain, int(wc.gen)),
    script:
        "../../scripts/text_loop/score.py"
