"""Serving an extractive summarizer: the probability that each token's sentence belongs in the summary, for a
document framed as ``[CLS] sentence [SEP] [CLS] sentence [SEP] ...`` (:func:`kerastx.data.tasks.extractive.sentence_inputs`)."""

from __future__ import annotations

from kerastx.serving.base import Unsupported
from kerastx.serving.token_classification import tag_scores_signature

SENTENCES = ["The city council approved the new tram line on Monday.",
             "Construction will start next spring and take three years.",
             "Local shops said they feared months of road works."]


def extractive_serving(config, summarizer) -> list:
    """``predict_ids`` for an :class:`~kerastx.generation.extractive.ExtractiveSummarizer`; its text signature is
    not exported (why: below)."""
    from kerastx.data.tasks.extractive import sentence_inputs

    scorer = summarizer.scorer
    [row] = sentence_inputs(scorer.tokenizer, SENTENCES, None, scorer.max_length)
    examples = {name: [row[name]] for name in ("input_ids", "attention_mask", "token_type_ids") if name in row}
    return [tag_scores_signature(scorer.model, scorer.tokenizer, examples,
                                 "Per token: P(omit), P(keep) of its sentence; a sentence's score is the mean of its "
                                 "tokens' P(keep)."),
            Unsupported("predict_text", "a summary needs the document split into sentences and framed in windows of "
                                        "max_length tokens, done in Python (kerastx.data.tasks.extractive): frame the "
                                        "sentences in the client and call predict_ids")]
