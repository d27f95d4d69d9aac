# The real data (training and test tables, subgroups included) and the FID's feature network: the
# study's own, or one of each per bias arm (arms.bias: data/{bias}/, models/{bias}/).


rule prepare_images:
    input:
        **PLAN.data_inputs(),
    output:
        **(
            {k: path(f"arm_{k}", bias="{bias}") for k in ("real_train", "real_test", "train_g0")}
            if PLAN.bias_arms
            else {k: path(k) for k in ("real_train", "real_test", "train_g0")}
        ),
    log:
        log("prepare_images", "{bias}") if PLAN.bias_arms else log("prepare_images"),
    benchmark:
        bench("prepare_images", "{bias}") if PLAN.bias_arms else bench("prepare_images")
    conda:
        "../../envs/synthloop.yaml"
    resources:
        **resources_for("analysis"),
    params:
        data=lambda wc: canonical(PLAN.data_config(getattr(wc, "bias", None))),
        seed=PLAN.data_seed(),
    script:
        "../../scripts/image_loop/prepare_data.py"


rule train_feature_net:
    input:
        real_train=path("arm_real_train", bias="{bias}") if PLAN.bias_arms else path("real_train"),
    output:
        path("arm_feature_net", bias="{bias}") if PLAN.bias_arms else path("feature_net"),
        (path("arm_feature_net", bias="{bias}") if PLAN.bias_arms else path("feature_net")) + ".json",
    log:
        log("train_feature_net", "{bias}") if PLAN.bias_arms else log("train_feature_net"),
    benchmark:
        bench("train_feature_net", "{bias}") if PLAN.bias_arms else bench("train_feature_net")
    conda:
        "../../envs/synthloop.yaml"
    threads: threads_for("finetune", 1)
    resources:
        **resources_for("finetune"),
    params:
        fid=canonical(config["fid"]),
        training=canonical(config["training"]),
        seed=PLAN.data_seed(),
    script:
        "../../scripts/image_loop/train_feature_net.py"
