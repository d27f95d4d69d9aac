# A paper's findings tested on the study's metrics table (docs/validation.md): each row a finding and scope with the
# per-seed mean, its 95% interval and a verdict. Any kind with a module synthloop.studies.<kind>.claims has the rule.
from synthloop.studies import claims_metrics, claims_module

CLAIMS = claims_module(KIND)

if config["claims"] and not CLAIMS:
    raise WorkflowError(f"invalid config: config key 'claims': kind {KIND} has no claims module (synthloop.studies.{KIND}.claims)")

if CLAIMS:

    localrules:
        claims,

    rule claims:
        input:
            path(claims_metrics(KIND)),
        output:
            report(path("table", table="claims"), caption="../report/claims.rst", category=STUDY, subcategory="claims"),
        log:
            log("claims"),
        benchmark:
            bench("claims")
        conda:
            "../envs/synthloop.yaml"
        resources:
            **resources_for("analysis"),
        params:
            module=CLAIMS,
        script:
            "../scripts/claims.py"


if config["claims"]:
    TARGETS.append(path("table", table="claims"))
