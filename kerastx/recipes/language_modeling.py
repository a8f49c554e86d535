"""What masked and causal language modelling share: a corpus of documents, tokenized, concatenated and cut
into blocks of ``max_length`` tokens (:mod:`kerastx.data.blocks`), measured by perplexity.

Not a recipe itself: :mod:`kerastx.recipes.masked_lm` and :mod:`kerastx.recipes.causal_lm` subclass
:class:`LanguageModelData` with how a document becomes tokens and what the model learns from a block.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np

from kerastx.config import RunConfig, check_positive, option
from kerastx.data.streaming import SHUFFLE_BUFFER, TOKENIZER_DOCUMENTS, VALIDATION_DOCUMENTS
from kerastx.errors import ConfigError, DataError
from kerastx.recipes.base import PreparedData, TaskData


@dataclasses.dataclass
class LanguageModelConfig(RunConfig):
    text_column: str = option("text", "Column of the documents in jsonl/csv/parquet files and hub datasets (jsonl in the codeparrot layout, with 'content' and no 'text', is read from 'content').", "data")
    document_split: str = option("line", "How a plain-text file is cut into documents: one per line, or one per blank-line-separated paragraph.", "data", ("line", "paragraph"))
    file_pattern: str | None = option(None, "Which files of a --train_file folder are documents (e.g. '*.py'); default: *.py where the folder holds Python files, else *.txt. An aclImdb folder is read as its reviews.", "data")
    train_shards: str | None = option(None, "TFRecord shard folder (tpu/write_shards.py; local or gs://) to train on instead of --train_file: read, shuffled and masked in tf.data with static shapes, as TPUs need, for corpora larger than memory. Validation text comes from --validation_file.", "data")
    streaming: bool = option(False, f"Read the training documents as a stream (a datasets IterableDataset: a hub --dataset, or a local .jsonl/.csv/.parquet/text --train_file, gzipped or not), tokenized and cut into blocks as training reads them, for corpora larger than memory or disk; needs --max_steps, and reads the stream again (reshuffled) when it ends first. Validation: --validation_file, else the first --max_eval_samples (default {VALIDATION_DOCUMENTS}) documents of the hub dataset's validation split, else of the stream, held out. A scratch tokenizer is trained on the first {TOKENIZER_DOCUMENTS:,} training documents. A continued run reads and tokenizes the stream again up to where it stopped.", "data")
    shuffle_buffer: int = option(SHUFFLE_BUFFER, "With --streaming: documents in the shuffle buffer the stream is read through (seeded, reshuffled at each pass); 1 reads the stream in its order.", "data")
    max_length: int = option(128, "Length of the blocks the concatenated documents are cut into (the course's chunk_size, run_mlm/run_clm's --block_size).", "data")
    from_scratch: bool = option(False, "Build --model's architecture with new random weights, keeping its tokenizer: the same model untrained, which shows what its pretraining brings.", "model")
    evaluate_before_training: bool = option(True, "Also measure the model before training, to show what training added.", "evaluation")

    def validate(self, explicit: set[str]) -> None:
        super().validate(explicit)
        check_positive(self, ("shuffle_buffer",))
        if self.streaming:
            self._check_streaming(explicit)
        elif "shuffle_buffer" in explicit:
            raise ConfigError("option 'shuffle_buffer' would be ignored: it only applies with --streaming")
        if self.train_shards:
            if self.train_file or self.dataset:
                raise ConfigError("give the training data once: --train_shards, or --train_file/--dataset")
            if not self.validation_file:
                raise ConfigError("--train_shards needs --validation_file: held-out text, tokenized as the shards were")
        if self.from_scratch and self.model.startswith("scratch:"):
            raise ConfigError("option 'from_scratch' would be ignored: a scratch: model is new already")

    @property
    def source_kind(self) -> str:
        """Where training reads its blocks from, decided here once (``validate`` refuses both options together):
        "shards" (--train_shards, read in tf.data), "stream" (--streaming, cut as training reads it) or "rows"
        (tokenized and held in memory)."""
        return "shards" if self.train_shards else "stream" if self.streaming else "rows"

    def _check_streaming(self, explicit: set[str]) -> None:
        if self.max_steps is None:
            raise ConfigError("--streaming needs --max_steps: a stream has no length to count epochs in")
        if self.train_shards:
            raise ConfigError("give the training data once: --train_shards, or --streaming of --train_file/--dataset")
        if "max_train_samples" in explicit:
            raise ConfigError("option 'max_train_samples' would be ignored with --streaming: --max_steps bounds "
                              "what training reads")
        if "validation_split" in explicit:
            raise ConfigError("option 'validation_split' would be ignored with --streaming: the stream's first "
                              "--max_eval_samples documents are held out instead")


class LanguageModelData(TaskData):
    """A corpus of documents cut into blocks. Subclasses say how a document becomes token ids
    (:meth:`document_ids`) and what the stored examples of a split hold (:meth:`examples`)."""

    def read_file(self, path):
        from kerastx.data.readers.text_corpus import read_text_corpus

        config = self.config
        return read_text_corpus(path, config.text_column, config.document_split, config.file_pattern)

    def load_splits(self, builtin_datasets):
        """With --train_shards, the validation file alone: the training blocks are read from the shards. With
        --streaming, the training documents as a stream (:mod:`kerastx.data.streaming`)."""
        if self.config.source_kind == "rows":
            return super().load_splits(builtin_datasets)
        if self.config.source_kind == "stream":
            from kerastx.data.streaming import streamed_splits

            return streamed_splits(self.config, self.read_file, self.text_column, tuple(builtin_datasets))
        from kerastx.data.files import Source
        from kerastx.data.splits import Splits

        validation, source = self.read_file(self.config.validation_file)
        return Splits(None, validation, Source(self.config.train_shards), source,
                      f"{self.config.train_shards} (TFRecord shards)")

    def held_out_group(self):
        return "path"  # a held-out validation split takes whole files, never half of one

    def required_columns(self):
        return []  # the text column is found by texts(), which also accepts the codeparrot layout's 'content'

    def texts(self, dataset, source) -> list[str]:
        """The documents of one split; each must be text (empty documents are skipped)."""
        column = self.text_column(dataset.column_names, source.name)
        texts = dataset[column][:]
        for row, text in enumerate(texts):
            if not isinstance(text, str):
                raise DataError(f"{source.where(row)}: column '{column}' is not text ({text!r})")
        return [text for text in texts if text.strip()]

    def text_column(self, column_names: list[str], name: str) -> str:
        """The documents' column: --text_column, else 'text', else 'content' (the codeparrot layout)."""
        column = next((c for c in (self.config.text_column, "text", "content") if c in column_names), None)
        if column is None:
            raise DataError(f"{name}: no column '{self.config.text_column}' (columns: {', '.join(column_names)}); "
                            "name the documents' column with --text_column")
        return column

    def training_texts(self, splits):
        if self.config.source_kind == "stream":  # a bounded beginning of the stream, never all of it
            yield from itertools.islice(splits.train.texts(), TOKENIZER_DOCUMENTS)
        else:
            yield from self.texts(splits.train, splits.train_source)

    def document_ids(self, tokenizer, texts: list[str]) -> list[list[int]]:
        """Token ids of each document, as the blocks concatenate them (with the separators the model expects)."""
        raise NotImplementedError

    def examples(self, blocks: np.ndarray, tokenizer, split: str) -> dict:
        """The stored columns of a split's examples, from its blocks."""
        raise NotImplementedError

    def samples(self, texts: list[str], tokenizer) -> list[tuple[object, str]]:
        """A few (input, true answer) pairs from validation documents, shown with predictions at the end."""
        return []

    def prepare(self, splits, tokenizer) -> PreparedData:
        """The training blocks as ``config.source_kind`` says (tokenized rows, or the shards or stream they are read
        from as training goes: :meth:`training_source`), then the validation blocks, tokenized and held."""
        import datasets

        from kerastx.data.splits import limit

        config = self.config
        read = {"rows": self._rows, "shards": self._shards, "stream": self._stream}[config.source_kind]
        train, train_blocks, counts = read(splits, tokenizer)
        validation_texts, blocks, validation_counts = self._blocks(splits.validation, splits.validation_source,
                                                                   tokenizer)
        validation = limit(datasets.Dataset.from_dict(self.examples(blocks, tokenizer, "validation")),
                           config.max_eval_samples, config.seed)
        return PreparedData(
            train, validation, evaluation=None, samples=self.samples(validation_texts, tokenizer),
            validation_size=len(validation),
            card_details={"Blocks": self._blocks_described(train_blocks, len(validation),
                                                           {"train": counts, "validation": validation_counts})})

    def training_source(self, prepared, tokenizer):
        """The rows of ``prepared.train``, or the shards or the stream :meth:`prepare` opened, as
        ``config.source_kind`` says; masked by :meth:`masking` where the task masks."""
        from kerastx.data.streaming import StreamSource
        from kerastx.data.tfrecords import ShardSource

        config, masking = self.config, self.masking(tokenizer)
        if config.source_kind == "shards":
            return ShardSource(prepared.train, config.update_batch_size, config.seed, masking)
        if config.source_kind == "stream":
            return StreamSource(prepared.train, config.update_batch_size, config.seed, config.max_steps, masking)
        return super().training_source(prepared, tokenizer)

    def _rows(self, splits, tokenizer):
        """The training split's examples, held in memory, with their number and ``(documents, tokens)``."""
        import datasets

        from kerastx.data.splits import limit

        _, blocks, counts = self._blocks(splits.train, splits.train_source, tokenizer)
        train = limit(datasets.Dataset.from_dict(self.examples(blocks, tokenizer, "train")),
                      self.config.max_train_samples, self.config.seed)
        return train, len(train), counts

    def _blocks(self, dataset, source, tokenizer):
        """``(documents, blocks, (document count, token count))`` of one split held in memory; a split without a
        whole block is an error naming its source."""
        from kerastx.data.blocks import group_into_blocks

        texts = self.texts(dataset, source)
        if not texts:
            raise DataError(f"{source.name}: every document is empty")
        ids = self.document_ids(tokenizer, texts)
        tokens = sum(len(i) for i in ids)
        blocks = group_into_blocks(ids, self.config.max_length)
        if not len(blocks):
            raise DataError(f"{source.name}: {tokens} tokens in {len(texts)} documents, fewer than one block of "
                            f"max_length={self.config.max_length} tokens: give more text or a smaller --max_length")
        return texts, blocks, (len(texts), tokens)

    def _blocks_described(self, train: int, validation: int, counts: dict) -> str:
        """The model card's line on the blocks trained and validated on (a stream's documents are not counted)."""
        length = self.config.max_length
        if self.config.source_kind == "stream":
            documents, tokens = counts["validation"]
            return (f"{train:,} training blocks of {length} tokens read from a stream ({self.config.max_steps:,} "
                    f"steps of {self.config.update_batch_size}) and {validation} validation blocks ({tokens:,} tokens in "
                    f"{documents:,} documents)")
        return (f"{train} training and {validation} validation blocks of {length} tokens ({counts['train'][1]:,} and "
                f"{counts['validation'][1]:,} tokens in {counts['train'][0]:,} and {counts['validation'][0]:,} "
                f"documents)")

    def _stream(self, splits, tokenizer):
        """The training blocks, cut from the stream as training reads it (checked to hold one block at least), with
        the blocks the run reads; a stream's documents are not counted."""
        from kerastx.data.streaming import StreamedBlocks

        config = self.config
        blocks = StreamedBlocks(splits.train, lambda texts: self.document_ids(tokenizer, texts), config.max_length,
                                lambda rows: self.examples(rows, tokenizer, "train"))
        blocks.check_first_block()
        return blocks, config.max_steps * config.update_batch_size, None

    def _shards(self, splits, tokenizer):
        """The training shards, checked against this run's block length and tokenizer, with their blocks and the
        documents and tokens their writer counted."""
        from kerastx.data.tfrecords import ShardedBlocks, check_vocabulary
        from kerastx.startup_logs import quiet_start_up

        quiet_start_up(self.config.verbose)  # reading shards (TFRecords, gs://) needs TensorFlow: its start-up quiet
        shards = ShardedBlocks(self.config.train_shards)
        if shards.sequence_length != self.config.max_length:
            raise ConfigError(f"shard folder {self.config.train_shards} holds blocks of {shards.sequence_length} "
                              f"tokens: give --max_length {shards.sequence_length}")
        check_vocabulary(shards.index, len(tokenizer), "the tokenizer")
        counts = (shards.index.metadata.get("documents", 0), shards.examples * shards.sequence_length)
        return shards, shards.examples, counts
