"""Is the default's text readable, and does the published pattern show? Figures read from a results tree.

For every chain (results/<study>/chains/<chain>/g<k>/) at generation 0 and at its last
generation, from the files the workflow wrote:

- quality: mean of the project's quality index over the generated documents
  (scores/quality.texts.parquet, column quality_index; 0 = noise .. 3 = clean);
- repeats: share of generated documents (generated.parquet) in which one word occurs four or
  more times in a row (words = lower-cased \\w+ runs, so "we we we we" and "the. the. the. the."
  count, "the world. the world." does not);
- lean gap: the largest difference, in percentage points, between the lean classifier's share
  of a label over the generated documents (scores/lean.texts.parquet, share_<label>) and that
  label's share in the chain's generation-0 training set (train.parquet joined on doc_id with
  data/<dataset>/finetune.parquet, column label);
- lean gap (same classifier): the same difference against the lean classifier's own shares on
  the chain's generation-0 training texts (results/<study>/models/<dataset>/lean_classifier.skops). The labels
  are the speakers' parties and the classifier does not recover them on real paragraphs either
  (it calls ~35% of the balanced training paragraphs "right"), so this column compares the
  generated text with the real text through one instrument. Not a target; reported beside it.

Targets for generation 0: quality >= 2.5, repeats < 5%, lean gap <= 15 points.
Then, per strategy over generations, the mean of every diversity and quality scorer's first
metric (scores/<scorer>.parquet), to read whether `replace` loses more than the others.

    python bench/default_check.py /tmp/run/results/sotu-amplification
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pandas as pd

TARGETS = {"quality": 2.5, "repeats": 0.05, "lean_gap": 15.0}
TREND_SCORERS = ["quality", "semantic_diversity", "self_bleu", "word_entropy", "type_token_ratio", "perplexity"]


def has_word_run(text: str, times: int = 4) -> bool:
    """One word `times` or more times in a row, case-insensitive, whatever punctuation lies between."""
    words = re.findall(r"\w+", text.lower())
    run = 1
    for previous, word in zip(words, words[1:]):
        run = run + 1 if word == previous else 1
        if run >= times:
            return True
    return False


def generations(chain_dir: Path) -> list[int]:
    """Generations whose texts and lean and quality scores are all written (a run still going, or stopped, has fewer)."""
    needed = ("generated.parquet", "scores/quality.texts.parquet", "scores/lean.texts.parquet")
    return sorted(int(p.name[1:]) for p in chain_dir.glob("g*") if p.name[1:].isdigit() and all((p / f).exists() for f in needed))


def training_labels(results: Path, chain_dir: Path) -> pd.Series:
    """Study labels of the chain's generation-0 training documents (from any dataset's fine-tuning set that holds them)."""
    train = pd.read_parquet(chain_dir / "g0" / "train.parquet", columns=["doc_id"])
    labelled = pd.concat([pd.read_parquet(f, columns=["doc_id", "label"]) for f in sorted((results / "data").glob("*/finetune.parquet"))])
    return train.merge(labelled.drop_duplicates("doc_id"), on="doc_id", how="left")["label"]


def generation_figures(gen_dir: Path, labels: pd.Series) -> dict:
    texts = pd.read_parquet(gen_dir / "generated.parquet")["text"]
    quality = pd.read_parquet(gen_dir / "scores" / "quality.texts.parquet")["quality_index"]
    lean = pd.read_parquet(gen_dir / "scores" / "lean.texts.parquet")
    target = labels.value_counts(normalize=True)
    gap = max(abs(lean[f"share_{label}"].mean() - share) * 100 for label, share in target.items())
    return {
        "docs": len(texts),
        "quality": float(quality.mean()),
        "repeats": float(texts.map(has_word_run).mean()),
        "lean_gap": float(gap),
        **{f"share_{label}": float(lean[f"share_{label}"].mean()) for label in sorted(target.index)},
        **{f"train_share_{label}": float(share) for label, share in sorted(target.items())},
    }


def classifier_shares(results: Path, chain_dir: Path) -> pd.Series:
    """The lean classifier's label shares on the chain's generation-0 training texts: the chain dataset's
    classifier, or the study's only one (a derived dataset scores with its source's); empty if neither."""
    from synthloop.scorers.classifiers import load_model

    own = results / "models" / chain_dir.name.split("-")[0] / "lean_classifier.skops"
    found = [own] if own.exists() else sorted(results.glob("models/*/lean_classifier.skops"))
    if len(found) != 1:
        return pd.Series(dtype=float)
    model = load_model(found[0])
    texts = pd.read_parquet(chain_dir / "g0" / "train.parquet", columns=["text"])["text"].tolist()
    return pd.Series(model.predict(texts)).value_counts(normalize=True).reindex(model.classes_, fill_value=0.0)


def readability(results: Path) -> pd.DataFrame:
    """One row per chain and generation (0 and the last): the three figures and whether gen 0 meets its targets."""
    rows = []
    for chain_dir in sorted((results / "chains").iterdir()):
        gens = generations(chain_dir)
        if not gens:
            continue
        labels = training_labels(results, chain_dir)
        instrument = classifier_shares(results, chain_dir)
        for gen in sorted({gens[0], gens[-1]}):
            figures = generation_figures(chain_dir / f"g{gen}", labels)
            figures["lean_gap_same_classifier"] = max(
                (abs(figures[f"share_{label}"] - share) * 100 for label, share in instrument.items() if f"share_{label}" in figures),
                default=float("nan"),
            )
            rows.append({"chain": chain_dir.name, "gen": gen, **figures})
    table = pd.DataFrame(rows)
    table["meets_targets"] = (
        (table["quality"] >= TARGETS["quality"]) & (table["repeats"] < TARGETS["repeats"]) & (table["lean_gap"] <= TARGETS["lean_gap"])
    )
    return table


def trends(results: Path) -> pd.DataFrame:
    """Chain x scorer x generation: the first metric's value of each trend scorer's summary file."""
    rows = []
    for summary in sorted((results / "chains").glob("*/g*/scores/*.parquet")):
        scorer = summary.name.removesuffix(".parquet")
        if scorer not in TREND_SCORERS:
            continue
        frame = pd.read_parquet(summary)
        rows.append(
            {
                "chain": summary.parents[2].name,
                "gen": int(summary.parents[1].name[1:]),
                "scorer": scorer,
                "metric": frame["metric"].iloc[0],
                "value": float(frame["value"].iloc[0]),
            }
        )
    if not rows:
        return pd.DataFrame(columns=["chain", "scorer", "metric"])
    return pd.DataFrame(rows).pivot_table(index=["scorer", "metric", "chain"], columns="gen", values="value").reset_index()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", type=Path, help="results/<study> of a finished run")
    args = parser.parse_args(argv)
    table = readability(args.results)
    with pd.option_context("display.width", 200, "display.max_columns", 30, "display.float_format", "{:.3f}".format):
        print(
            f"readability (targets at generation 0: quality >= {TARGETS['quality']}, repeats < {TARGETS['repeats']:.0%}, "
            f"lean gap <= {TARGETS['lean_gap']:.0f} points)"
        )
        print(table.to_string(index=False))
        print("\ntrends over generations (first metric of each scorer's summary)")
        print(trends(args.results).to_string(index=False))
    gen0 = table[table["gen"] == 0]
    print(f"\ngeneration 0: {int(gen0['meets_targets'].sum())} of {len(gen0)} chains meet all three targets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
