# The model (converted once from GGUF), the real data and the augmentation sets.


rule convert_model:
    output:
        directory(path("base_model")),
    log:
        log("convert_model"),
    benchmark:
        bench("convert_model")
    conda:
        "../../envs/synthloop.yaml"
    threads: threads_for("finetune", 2)
    resources:
        **resources_for("finetune"),
    params:
        model=canonical(config["model"]),
    script:
        "../../scripts/inheritance/convert_model.py"


rule gender_real:
    input:
        **PLAN.data_inputs("gender"),
    output:
        real=path("real", bias="gender"),
        test=path("test", bias="gender"),
    log:
        log("gender_real"),
    benchmark:
        bench("gender_real")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        **PLAN.gender_real_params(),
        seed=PLAN.study_seed("gender_real"),
    script:
        "../../scripts/inheritance/gender_real.py"


if PLAN.scaling_data():

    rule scaling_real:
        input:
            **PLAN.data_inputs("gender"),
        output:
            real=path("real", bias="gender-scaling"),
            test=path("test", bias="gender-scaling"),
        log:
            log("scaling_real"),
        benchmark:
            bench("scaling_real")
        conda:
            "../../envs/synthloop.yaml"
        resources:
            **resources_for("analysis"),
        params:
            **PLAN.gender_real_params(scaling=True),
            seed=PLAN.study_seed("gender_real"),
        script:
            "../../scripts/inheritance/gender_real.py"


rule culture_real:
    input:
        **PLAN.data_inputs("culture"),
    output:
        real=path("real", bias="culture"),
    log:
        log("culture_real"),
    benchmark:
        bench("culture_real")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        data=canonical(config["data"]["culture"]),
    script:
        "../../scripts/inheritance/culture_real.py"


rule augment:
    input:
        unpack(lambda wc: PLAN.augment_inputs(wc.key, wc.seed)),
    output:
        path("augmentation", key="{key}", seed="{seed}"),
    log:
        log("augment", "{key}/s{seed}"),
    benchmark:
        bench("augment", "{key}/s{seed}")
    conda:
        "../../envs/synthloop.yaml"
    threads: threads_for("generate", 2)
    resources:
        **resources_for("generate"),
    params:
        source=lambda wc: PLAN.generator(wc.key, wc.seed),
        backend=lambda wc: PLAN.backend(wc.key),
        entry=lambda wc: PLAN.augment_set(wc.key),
        slots=lambda wc: canonical(PLAN.augment_slots(wc.key)),
        augment=lambda wc: canonical(PLAN.augment_params(wc.key)),
        seed=lambda wc: PLAN.seed(int(wc.seed), "augment", wc.key),
    script:
        "../../scripts/inheritance/augment.py"
