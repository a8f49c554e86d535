"""The model card's Hub metadata for each kind of run, read back by huggingface_hub (no training: the card
is a function of the resolved config and the measured metrics; test_saved_runs.py checks a real run's)."""

import pytest
from huggingface_hub import ModelCard

from kerastx.config import config_to_dict
from kerastx.recipes.registry import RECIPES
from kerastx.report import model_card

FINAL = {"val_rougeL": 0.41234567, "val_rouge1": 0.5}


def card_for(recipe_name: str, **options) -> str:
    recipe = RECIPES[recipe_name]
    config = {**config_to_dict(recipe.config_class(**options)), "recipe": recipe_name}
    best = {"metric": "val_rougeL", "mode": "max", "value": 0.41234567, "epoch": 1, "step": 30}
    return model_card(recipe, config, "the data", FINAL, best, [{"epoch": 1, "step": 30, **FINAL}], {}, 60.0)


def test_extractive_card_shows_kerastx_usage_and_claims_no_pipeline():
    text = card_for("extractive_summarization")
    data = ModelCard(text).data
    assert data.pipeline_tag is None and data.library_name == "transformers"
    assert data.base_model == "sentence-transformers/all-MiniLM-L6-v2"  # the packaged MiniLM's origin
    assert "pipeline(" not in text and 'kerastx.load_predictor("' in text and "kerastx-predict" in text
    assert {r.metric_name: r.metric_value for r in data.eval_results} == {"val_rougeL": 0.4123, "val_rouge1": 0.5}
    assert "Best val_rougeL (higher is better): 0.4123 at epoch 1, step 30." in text


def test_hub_model_and_dataset_are_named_a_scratch_model_and_built_in_data_are_not():
    data = ModelCard(card_for("summarization", model="t5-small", dataset="xsum", dataset_config="default")).data
    assert data.base_model == "t5-small" and data.datasets == ["xsum"] and data.pipeline_tag == "summarization"
    assert {(r.dataset_type, r.dataset_config, r.dataset_split) for r in data.eval_results} == {
        ("xsum", "default", "validation")}
    data = ModelCard(card_for("translation", dataset="ui-translations")).data  # scratch:marian-mini on built-in data
    assert data.base_model is None and data.datasets is None and data.language == ["en", "fr"]


def test_a_local_model_directory_is_no_base_model(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    assert ModelCard(card_for("summarization", model=str(tmp_path))).data.base_model is None


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_every_recipe_card_has_a_usage_snippet_for_its_pipeline_or_predictor(name):
    text = card_for(name)
    recipe = RECIPES[name]
    assert ModelCard(text).data.pipeline_tag == recipe.pipeline_task
    assert (f'pipeline("{recipe.pipeline_task}", model="<this directory>", framework="tf")' in text) == (
        recipe.pipeline_task is not None)
    assert 'kerastx.load_predictor("<this directory>")' in text and "dtype" not in text
