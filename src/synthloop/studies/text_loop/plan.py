"""The plan of a text-loop study: which jobs exist, what each reads and writes, and the targets.

Library code so that it can be tested; the rules' input functions are one-line calls into a
`Plan`. Nothing here imports torch or reads data: every SLURM job re-parses the workflow.
`path(name, **wildcards)` is the workflow's path helper (rules/common.smk), passed in.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from synthloop.analysis.metrics import BASE  # the metrics table's generation of the base model before fine-tuning
from synthloop.core.hub import pinned
from synthloop.core.seeds import stable_seed
from synthloop.loop.select import candidates
from synthloop.scorers.registry import ALL_DOMAINS, SCORERS
from synthloop.studies.base import tracked
from synthloop.studies.text_loop.chains import (
    Chain,
    chains,
    draw_base_model,
    finetune_params,
    partition_datasets,
    root_dataset,
    subset_datasets,
)
from synthloop.studies.text_loop.clusters import quality_scorer
from synthloop.studies.text_loop.slices import in_slice

TRAINED_LEAN = ("lean_classifier", "lean_embedding")  # lean measures trained on the held-out labelled docs, with a TPR/FPR table
NEURON_FILES = ("neuron_results", "neuron_set_sizes", "neuron_overlap", "neuron_venn", "neuron_correlations")


class Plan:
    def __init__(self, config: dict, path: Callable[..., str], results: str):
        self.config, self.path, self.results = config, path, results
        self.chains: dict[str, Chain] = {cid: c for cid, c in chains(config).items() if in_slice(c, config.get("slice"))}
        self.generations = list(range(config["generations"]))
        # In name order, not the config's: the score jobs' params and the metrics table's inputs stay the same when
        # the scorers are only reordered (the metrics table sorts its rows by scorer; each scorer writes its own file).
        self.scorers = sorted(config["scorers"])
        self.embedders = sorted({s["embedder"] for s in config["scorers"].values() if "embeddings" in SCORERS[s["kind"]].assets})
        self.partitions = [d for d in self.datasets() if d in partition_datasets(config)]
        self.subsets = [d for d in self.datasets() if d in subset_datasets(config)]

    # -- keys ------------------------------------------------------------------------------------
    def datasets(self) -> list[str]:
        """Every dataset some chain holds texts of (a mixed chain's domains included), in config order."""
        held = {d for c in self.chains.values() for d in c.datasets}
        return [d for d in self.config["datasets"] if d in held]

    def seed(self, chain_id: str, *names) -> int:
        """A job's seed: from its chain's configured seed and the job's names."""
        return stable_seed(self.chains[chain_id].seed, chain_id, *names)

    def study_seed(self, *names) -> int:
        """A seed for study-wide jobs (data splits, scorer models): from the first configured seed."""
        return stable_seed(self.config["seeds"][0], *names)

    def owner(self, chain_id: str, gen: int) -> str:
        """The chain whose files hold `chain_id`'s generation `gen`: a branch's parent before its branch point
        (those files are shared, never recomputed), else the chain itself."""
        chain = self.chains[chain_id]
        if chain.parent and gen < chain.branch_at:
            return self.owner(chain.parent_id, gen)
        return chain_id

    def file(self, name: str, chain_id: str, gen: int, **wildcards) -> str:
        """A per-generation file of a chain, from whichever chain owns that generation."""
        return self.path(name, chain=self.owner(chain_id, gen), gen=gen, **wildcards)

    def owns(self, chain_id: str, gen: int) -> bool:
        return self.owner(chain_id, gen) == chain_id

    def finetune(self, chain_id: str) -> dict:
        return finetune_params(self.config, self.chains[chain_id].strategy)

    def strategy(self, chain_id: str) -> dict:
        return self.config["strategies"][self.chains[chain_id].strategy]

    def compose_strategy(self, chain_id: str) -> dict:
        """The strategy as compose reads it: without its select step (the step's table is an input), so editing the
        step re-runs no generation-0 compose."""
        return {k: v for k, v in self.strategy(chain_id).items() if k != "select"}

    def instructions(self, chain_id: str) -> dict[str, str] | None:
        """Instruction mode: each domain's instruction (one for a one-dataset chain); None for block generation."""
        if self.config["generate"]["mode"] != "instruction":
            return None
        return {d: self.config["datasets"][d]["instruction"] for d in self.chains[chain_id].datasets}

    def loading_spec(self, dataset: str) -> dict:
        """Only what loading and splitting read, so that editing e.g. a dataset's instruction re-runs no data job."""
        return {k: v for k, v in self.config["datasets"][dataset].items() if k != "instruction"}

    # -- models --------------------------------------------------------------------------------
    def model_source(self, name: str | dict) -> str:
        """'scratch' is the workflow's own base model; anything else is a hub id or a local path. A pinned
        entry ({source, revision}) becomes `id@revision`, which the loaders split (synthloop.core.hub)."""
        if isinstance(name, dict):
            return self.model_source(pinned(name["source"], name.get("revision")))
        return self.path("base_model") if name == "scratch" else name

    def base_source(self) -> str:
        """The study's base model (base_model.source at base_model.revision)."""
        return self.model_source(self.config["base_model"])

    def init_model(self, chain_id: str, gen: int) -> str:
        """Generation g starts from g-1's model (study 1), the base model, or a fresh base drawn per generation (study 2)."""
        init = self.config["chains"]["init"]
        if init == "draw":
            return self.model_source(draw_base_model(self.config["chains"]["base_models"], chain_id, gen, self.chains[chain_id].seed))
        if gen == 0 or init == "base":
            return self.base_source()
        return self.file("model", chain_id, gen - 1)

    def finetune_inputs(self, chain_id: str, gen: int) -> dict:
        return {"train": self.path("train", chain=chain_id, gen=gen), "init": self.products([self.init_model(chain_id, gen)])}

    def products(self, paths) -> list[str]:
        """The inputs to track: paths the workflow makes, and every file of a local model directory
        (editing a local base model re-runs what it trained); hub ids are not files."""
        return tracked(paths, self.results)

    # -- training sets and generation ------------------------------------------------------------
    def real_docs(self, chain_id: str) -> str:
        """The real documents a chain starts from: its cluster's, or its dataset's fine-tuning set."""
        chain = self.chains[chain_id]
        if chain.cluster:
            return self.path("cluster_docs", dataset=chain.dataset, cluster=chain.cluster)
        return self.path("finetune_docs", dataset=chain.dataset)

    def control_labels(self, chain_id: str) -> str | list:
        """The control backend's labels: the real documents the chain's prompts come from (their `label`
        column, which training sets do not carry); nothing for a model that generates."""
        return self.real_docs(chain_id) if self.config["generate"].get("backend") == "control" else []

    def compose_inputs(self, chain_id: str, gen: int) -> dict:
        """g0 reads the real documents; g > 0 also reads g-1's pool and what g-1 wrote."""
        real = self.real_docs(chain_id)
        if gen == 0:
            return {"real": real}
        inputs = {
            "real": real,
            "previous_pool": self.file("pool", chain_id, gen - 1),
            "previous_generated": self.file("generated", chain_id, gen - 1),
        }
        if self.selection(chain_id):
            inputs["selection"] = self.path("selection", chain=chain_id, gen=gen)
        return inputs

    # -- selection of synthetic texts (strategies.<name>.select; synthloop.studies.text_loop.selection) --------
    def selection(self, chain_id: str) -> dict | None:
        """The chain's selection step, or None: every text g-1 wrote joins g's training set or pool."""
        return self.strategy(chain_id).get("select")

    def selection_count(self, chain_id: str) -> int | None:
        """The count a generation contributes: a pool strategy's round(n*r); None for the compose strategies
        (the step then keeps its share of what was written, or importance draws as many as were written)."""
        strategy = self.strategy(chain_id)
        return round(strategy["pool"]["n"] * self.chains[chain_id].ratio) if strategy["compose"] == "pool" else None

    def selection_scorer(self, chain_id: str) -> dict:
        """The step's scorer: its spec and its assets (the chain's root dataset's scorer models)."""
        spec = self.config["scorers"][self.selection(chain_id)["scorer"]]
        return {"spec": spec, "assets": self.scorer_assets(spec, self.chains[chain_id].dataset)}

    def select_inputs(self, chain_id: str, gen: int) -> dict:
        """What generation gen-1 wrote, and the step's scorer models (or the files of a local scorer model)."""
        scorer = self.selection_scorer(chain_id)
        model = scorer["spec"].get("model")
        made = self.products([*scorer["assets"].values(), *([model] if isinstance(model, str) else [])])
        return {"generated": self.file("generated", chain_id, gen - 1), "assets": made}

    def selects(self) -> bool:
        """Whether any chain selects: then every chain's realised mix is tabled (rule chain_mix)."""
        return any(self.selection(cid) for cid in self.chains)

    def selection_baselines(self) -> dict[str, str]:
        """Each selecting chain strategy's unselected counterpart: the first chain strategy with the same compose and no step."""
        strategies = self.config["strategies"]
        names = list(dict.fromkeys(c.strategy for c in self.chains.values()))
        plain = [n for n in names if not strategies[n].get("select")]
        pairs = {
            n: [p for p in plain if strategies[p]["compose"] == strategies[n]["compose"]] for n in names if strategies[n].get("select")
        }
        return {n: same[0] for n, same in pairs.items() if same}

    def mix_inputs(self, chain_id: str) -> dict:
        """The realised-mix row every generation's compose wrote (a branch's earlier ones are its parent's)."""
        return {"rows": [self.file("mix_row", chain_id, g) for g in self.generations]}

    # -- the machine-text detector (scorer kind detector_classifier) ------------------------------------------
    def detector_inputs(self, dataset: str) -> dict:
        """Real texts (the held-out documents) and generation 0's synthetic texts of every root chain of `dataset`."""
        generated = [
            self.path("generated", chain=cid, gen=0)
            for cid, c in self.chains.items()
            if not c.parent and not c.domains and root_dataset(self.config, c.dataset) == dataset
        ]
        if not generated:
            raise ValueError(f"the detector of dataset {dataset!r} needs generation 0 of a chain on it; the study has none")
        return {"real": self.path("heldout_docs", dataset=dataset), "generated": generated}

    def prompts(self, chain_id: str) -> str:
        """Block generation's prompts: the chain's generation-0 training set (a branch's is its parent's)."""
        return self.file("train", chain_id, 0)

    def generation_count(self, chain_id: str) -> int:
        """Instruction mode: the n*r texts the next pool needs, and at least eval_size for scoring."""
        strategy = self.strategy(chain_id)
        needed = round(strategy["pool"]["n"] * self.chains[chain_id].ratio) if strategy["compose"] == "pool" else 0
        needed = candidates(strategy.get("select"), needed)  # an oversampled selection keeps `needed` of more
        return max(needed, self.config["generate"]["eval_size"])

    def eval_size(self) -> int | None:
        """How many texts of a text set (per domain) are scored: instruction mode scores exactly eval_size
        (Kovač et al.: 250); block mode (study 1) scores every generated article (None)."""
        return self.config["generate"]["eval_size"] if self.config["generate"]["mode"] == "instruction" else None

    def eval_sample(self, chain_id: str, gen: int) -> dict:
        """A generation's scored texts: eval_size() of them, drawn from the chain's seed."""
        return {"size": self.eval_size(), "seed": self.seed(chain_id, "eval-sample", gen)}

    # -- the base model before any fine-tuning (Wang et al.'s Figure 2) -----------------------------
    def score_base(self) -> bool:
        """Whether the base model's own continuations are generated and scored: chains.score_base, where null
        means on in block mode (study 1) and off in instruction mode (study 2 draws a fresh base per generation)."""
        wanted = self.config["chains"]["score_base"]
        return self.config["generate"]["mode"] == "blocks" if wanted is None else wanted

    def base_datasets(self) -> list[str]:
        """The chain datasets whose prompts the base model continues (mixed chains have no single dataset)."""
        return [d for d in self.datasets() if any(c.dataset == d for c in self.chains.values())] if self.score_base() else []

    def base_prompts(self, dataset: str) -> str:
        """The base model continues exactly what generation 0 continues: the dataset's first chain's g0 training set."""
        chain_id = next(cid for cid, c in self.chains.items() if c.dataset == dataset and not c.parent)
        return self.prompts(chain_id)

    def base_generate_inputs(self, dataset: str) -> dict:
        return {"prompts": self.base_prompts(dataset), "model": self.products([self.base_source()])}

    def base_generation_count(self) -> int:
        """Instruction mode: eval_size texts for every dataset (the base model feeds no pool); block mode ignores it."""
        return self.config["generate"]["eval_size"]

    def base_instructions(self, dataset: str) -> dict[str, str] | None:
        if self.config["generate"]["mode"] != "instruction":
            return None
        return {dataset: self.config["datasets"][dataset]["instruction"]}

    def base_eval_sample(self, dataset: str) -> dict:
        """The base model's scored texts: eval_size() of them, as a generation's, drawn from the study's seed."""
        return {"size": self.eval_size(), "seed": self.study_seed("eval-sample", "base", dataset)}

    def base_scored_domains(self, dataset: str) -> dict:
        def embeddings(embedder):
            return self.path("base_embeddings", dataset=dataset, embedder=embedder)

        return {ALL_DOMAINS: {name: self.scorer_assets(self.config["scorers"][name], dataset, embeddings) for name in self.scorers}}

    def base_score_inputs(self, dataset: str) -> dict:
        assets = [
            p for assets in self.base_scored_domains(dataset)[ALL_DOMAINS].values() for name, p in assets.items() if name != "embeddings"
        ]
        models = [spec.get("model") for spec in self.config["scorers"].values()] + [
            self.config["embedders"][e]["model"] for e in self.embedders
        ]
        made = self.products([*assets, *(m for m in models if isinstance(m, str))])
        return {"texts": self.path("base_generated", dataset=dataset), "assets": made}

    # -- scoring ---------------------------------------------------------------------------------
    def scorer_assets(self, spec: dict, dataset: str, embeddings: Callable[[str], str] | None = None) -> dict:
        """Where each asset the scorer kind declares comes from: a workflow product, a path or a hub id.
        Trained scorer models are those of `dataset`'s root (a lean partition's source); `embeddings`
        maps an embedder name to the text set's vectors file (None: the caller embeds, e.g. rule lean_scores)."""
        dataset = root_dataset(self.config, dataset)
        sources = {
            "lean_model": lambda: self.path("lean_model", dataset=dataset),
            "lean_embedding_model": lambda: self.path("lean_embedding_model", dataset=dataset, embedder=spec["embedder"]),
            "quality_model": lambda: self.path("quality_model", dataset=dataset),
            "detector_model": lambda: self.path("detector_model", dataset=dataset),
            "causal_lm": lambda: self.base_source() if spec.get("model", "base") == "base" else pinned(spec["model"], spec.get("revision")),
            "embeddings": lambda: embeddings(spec["embedder"]),
        }
        wanted = [a for a in SCORERS[spec["kind"]].assets if embeddings or a != "embeddings"]
        return {asset: sources[asset]() for asset in wanted}

    def scored_domains(self, chain_id: str, gen: int) -> dict:
        """The assets per scored group: the whole set ('all'), or each domain of a mixed chain on its own."""
        chain = self.chains[chain_id]

        def embeddings(embedder):
            return self.path("embeddings", chain=chain_id, gen=gen, embedder=embedder)

        def assets(dataset):
            return {name: self.scorer_assets(self.config["scorers"][name], dataset, embeddings) for name in self.scorers}

        return {domain: assets(domain) for domain in chain.domains} if chain.domains else {ALL_DOMAINS: assets(chain.dataset)}

    def cluster_quality(self, dataset: str) -> dict | None:
        """The scorer (spec and assets) that gives each document of `dataset` its quality, for the cluster property."""
        name = quality_scorer(self.config)
        if name is None:
            return None
        spec = self.config["scorers"][name]
        return {"spec": spec, "assets": self.scorer_assets(spec, dataset)}

    def cluster_quality_inputs(self, dataset: str) -> list[str]:
        quality = self.cluster_quality(dataset)
        return self.products(quality["assets"].values()) if quality else []

    def score_inputs(self, chain_id: str, gen: int) -> dict:
        """The texts, the trained scorer models and the files of local scorer and embedder models (an edit
        re-runs scoring); embeddings are made by the score job itself."""
        groups = self.scored_domains(chain_id, gen).values()
        assets = [p for group in groups for assets in group.values() for name, p in assets.items() if name != "embeddings"]
        models = [spec.get("model") for spec in self.config["scorers"].values()] + [
            self.config["embedders"][e]["model"] for e in self.embedders
        ]
        made = self.products([*assets, *(m for m in models if isinstance(m, str))])
        return {"texts": self.path("generated", chain=chain_id, gen=gen), "assets": made}

    def score_entries(self) -> list[dict]:
        """Every (chain, generation, scorer) with its keys for the metrics table; a branch's generations before
        its branch point are its parent's scores under the branch's keys (the figure starts it at the branch point).
        With the base model scored, every chain of a dataset starts with its `base` row (generation -1, shared)."""
        base = set(self.base_datasets())
        return [
            {**c.keys(), "generation": BASE, "scorer": s, "path": self.path("base_score", dataset=c.dataset, scorer=s)}
            for cid, c in self.chains.items()
            if c.dataset in base
            for s in self.scorers
        ] + [
            {**c.keys(), "generation": g, "scorer": s, "path": self.file("score", cid, g, scorer=s)}
            for cid, c in self.chains.items()
            for g in self.generations
            for s in self.scorers
        ]

    @cached_property
    def _entries_by_chain(self) -> dict[str, list[dict]]:
        """score_entries() by chain, indexed once (chain_score_entries is called for every chain_metrics job)."""
        by_chain: dict[str, list[dict]] = {}
        for entry in self.score_entries():
            by_chain.setdefault(entry["chain"], []).append(entry)
        return by_chain

    def chain_score_entries(self, chain_id: str) -> list[dict]:
        """score_entries() of one chain: the inputs of its own metrics table (rule chain_metrics)."""
        return self._entries_by_chain[chain_id]

    def classifier_tables(self) -> list[str]:
        datasets = sorted({root_dataset(self.config, d) for d in self.datasets()})
        kinds = {self.config["scorers"][s]["kind"] for s in self.scorers}
        kinds |= {self.config["scorers"][c["scorer"]]["kind"] for c in map(self.selection, self.chains) if c}
        wanted = [k for k in ("lean_classifier", "quality_classifier", "detector_classifier") if k in kinds]
        embedders = sorted({s["embedder"] for s in self.config["scorers"].values() if s["kind"] == "lean_embedding"})
        tables = [f"{kind}_{d}" for kind in wanted for d in datasets]
        tables += [self.lean_table({"kind": "lean_embedding", "embedder": e}, d) for e in embedders for d in datasets]
        return [self.path("table", table=t) for t in tables]

    # -- positive controls (studies.text_loop.controls) --------------------------------------------------
    def lean_control_scorers(self) -> list[str]:
        """The trained lean measures (lean_classifier, lean_embedding) that measure a lean control (generate.backend
        control); none without one."""
        if self.config["generate"].get("backend") != "control":
            return []
        return [s for s in self.scorers if self.config["scorers"][s]["kind"] in TRAINED_LEAN]

    def lean_control_tables(self) -> list[str]:
        """Each lean control scorer's own table (its held-out TPR and FPR), in lean_control_scorers' order."""
        scorers = self.lean_control_scorers()
        if not scorers:
            return []
        dataset = root_dataset(self.config, self.config["chains"]["dataset"])  # one dataset: controls.check
        return [self.path("table", table=self.lean_table(self.config["scorers"][s], dataset)) for s in scorers]

    @staticmethod
    def lean_table(spec: dict, dataset: str) -> str:
        """The held-out evaluation table of a trained lean scorer: lean_classifier_<dataset> or lean_embedding_<dataset>.<embedder>."""
        return f"lean_classifier_{dataset}" if spec["kind"] == "lean_classifier" else f"lean_embedding_{dataset}.{spec['embedder']}"

    def control_ratios(self) -> list[float]:
        """The chains' synthetic ratios a cluster control plants one slope for each of (1.0 where chains have none)."""
        return sorted({c.ratio for c in self.chains.values() if c.ratio is not None}) or [1.0]

    # -- study-specific analyses -----------------------------------------------------------------
    def neuron_versions(self) -> list[dict]:
        """Every model version in chain and generation order, with its values file; mixed chains have
        per-domain metrics and no single probe set, so the neuron analysis leaves them out, and branches
        too (their versions before the branch point are their parent's: counting them twice would bias the fit)."""
        return [
            {"chain": cid, "generation": g, "path": self.path("neurons", chain=cid, gen=g)}
            for cid, c in self.chains.items()
            if not c.domains and not c.parent
            for g in self.generations
        ]

    def neuron_probes(self, chain_id: str) -> tuple[str, int]:
        """The probe documents and their seed: the root dataset's fine-tuning set for every chain of it, so that
        every version pooled in the levels correlations (a label subset's too) is measured on the same probes."""
        root = root_dataset(self.config, self.chains[chain_id].dataset)
        return self.path("finetune_docs", dataset=root), self.study_seed("neuron_probes", root)

    def neuron_metrics(self) -> list[dict]:
        """The configured metrics whose scorer this study runs."""
        return [m for m in self.config["neurons"]["metrics"] if m["scorer"] in self.scorers]

    def lean_entries(self) -> list[dict]:
        """Per chain on a partition: its keys, its scorer's kind and its per-text scores, generation by generation."""
        entries = []
        for cid, c in self.chains.items():
            if c.dataset in self.partitions:
                spec = self.config["datasets"][c.dataset]
                texts = [self.file("score_texts", cid, g, scorer=spec["lean_scorer"]) for g in self.generations]
                kind = self.config["scorers"][spec["lean_scorer"]]["kind"]
                entries.append({**c.keys(), "left_share": spec["left_share"], "kind": kind, "texts": texts})
        return entries

    def lean_scores_spec(self, scorer: str) -> dict:
        """The lean scorer's spec for rule lean_scores; an embedding-based one (lean_embedding) carries its embedder's
        settings as `embedder_spec`: that job embeds the texts itself, as no score job did."""
        spec = self.config["scorers"][scorer]
        if "embeddings" not in SCORERS[spec["kind"]].assets:
            return spec
        return {**spec, "embedder_spec": self.config["embedders"][spec["embedder"]]}

    def lean_scores_input(self, dataset: str) -> str:
        spec = self.config["datasets"][dataset]
        return self.path("lean_scores", dataset=spec["from"], scorer=spec["lean_scorer"])

    def regressions(self) -> tuple[bool, bool]:
        """(single-domain cluster chains, mixed chains): which regressions the study has."""
        chains_spec = self.config["chains"]
        return bool(chains_spec.get("clusters") and chains_spec["dataset"]), bool(chains_spec.get("mixed"))

    # -- targets -----------------------------------------------------------------------------------
    def generated_texts(self) -> list[str]:
        """Every generation's texts are targets: a deleted one is made again and its newer
        mtime re-runs exactly what depends on it (models stay intermediate and may be temporary).
        A branch's generations before its branch point are its parent's files, listed once."""
        return [self.path("generated", chain=cid, gen=g) for cid in self.chains for g in self.generations if self.owns(cid, g)]

    def targets(self) -> list[str]:
        if self.config.get("slice"):  # a slice makes its chains' texts and scores; the study-wide analyses wait for every slice
            return [*self.generated_texts(), *(self.path("chain_metrics", chain=cid) for cid in self.chains)]
        single, mixed = self.regressions()
        regression = [self.path("regression", table="coefficients"), self.path("table1"), self.path("coefficients")] * single
        regression += [self.path("regression", table="mixed_coefficients"), self.path("mixed_figure")] * mixed
        lean = [self.path(kind, table=t) for kind in ("lean_table", "lean_figure") for t in ("final_vs_initial", "buckets")] * bool(
            self.partitions
        )
        neurons = [self.path(name) for name in NEURON_FILES] * self.config["neurons"]["enabled"]
        theory = [self.path(name, toy=toy) for toy in self.config["theory"]["toys"] for name in ("theory_table", "theory_figure")]
        figures = [self.path("figure", scorer=s) for s in self.scorers]
        base = [self.path("base_generated", dataset=d) for d in self.base_datasets()]
        mixes = [self.path("chain_mix", chain=cid) for cid in self.chains] * self.selects()
        mixes += [self.path("table", table="selection_effect")] * bool(self.selection_baselines() and not self.config.get("slice"))
        mixes += [self.path("table", table="lean_control")] * bool(self.lean_control_scorers())
        mixes += [self.path("table", table="cluster_control")] * bool(self.config["regression"].get("control"))
        return [
            self.path("metrics"),
            *self.generated_texts(),
            *base,
            *figures,
            *self.classifier_tables(),
            *neurons,
            *theory,
            *regression,
            *lean,
            *mixes,
        ]
