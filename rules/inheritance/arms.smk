# One arm x seed: its training set (real + augmentation at the bias ratio, mitigated), its model, its evaluation.


rule compose:
    input:
        unpack(lambda wc: PLAN.compose_inputs(wc.arm, wc.seed)),
    output:
        path("train", arm="{arm}", seed="{seed}"),
    log:
        log("compose", "{arm}/s{seed}"),
    benchmark:
        bench("compose", "{arm}/s{seed}")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        arm=lambda wc: PLAN.arm(wc.arm),
        total=lambda wc: PLAN.total(wc.arm),
        slots=lambda wc: canonical(PLAN.slots(wc.arm)),
        seed=lambda wc: PLAN.compose_seed(wc.arm, int(wc.seed)),
    script:
        "../../scripts/inheritance/compose.py"


rule finetune:
    input:
        unpack(lambda wc: PLAN.finetune_inputs(wc.arm, wc.seed)),
    output:
        directory(path("model", arm="{arm}", seed="{seed}")),
    log:
        log("finetune", "{arm}/s{seed}"),
    benchmark:
        bench("finetune", "{arm}/s{seed}")
    conda:
        "../../envs/synthloop.yaml"
    threads: threads_for("finetune", 2)
    resources:
        **resources_for("finetune"),
    params:
        init=lambda wc: PLAN.init_model(wc.arm, wc.seed),
        train=lambda wc: canonical(PLAN.train_params(wc.arm)),
        mitigation=lambda wc: PLAN.arms[wc.arm].mitigation,
        loss_weight=config["mitigations"]["loss_weight"],
        loss_window=config["mitigations"]["loss_window"],
        seed=lambda wc: PLAN.seed(int(wc.seed), "finetune", wc.arm),
    script:
        "../../scripts/inheritance/finetune.py"


rule evaluate:
    input:
        unpack(lambda wc: PLAN.evaluate_inputs(wc.arm, wc.seed)),
    output:
        evaluation=path("evaluation", arm="{arm}", seed="{seed}"),
        replies=path("replies", arm="{arm}", seed="{seed}"),
    log:
        log("evaluate", "{arm}/s{seed}"),
    benchmark:
        bench("evaluate", "{arm}/s{seed}")
    conda:
        "../../envs/synthloop.yaml"
    threads: threads_for("generate", 2)
    resources:
        **resources_for("generate"),
    params:
        tasks=lambda wc: PLAN.tasks(wc.arm),
        evaluation=lambda wc: PLAN.evaluation_params(wc.arm),
        slots=lambda wc: canonical(PLAN.slots(wc.arm)),
        seed=lambda wc: PLAN.seed(int(wc.seed), "evaluate"),
    script:
        "../../scripts/inheritance/evaluate.py"
