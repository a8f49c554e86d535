"""Language-model training documents read as a stream (a ``datasets.IterableDataset``), tokenized and cut into
blocks as training reads them: for corpora larger than memory or disk (``--streaming``).

A stream has no length and no index, so training on one is counted in steps (``--max_steps``), and one ``fit``
spans the run:

* the documents after the held-out ones are read through a shuffle buffer; when the stream ends before the
  last step it is read again, reshuffled (each pass's buffer seeded from the run's seed and the pass number);
* each pass is cut into blocks as :func:`kerastx.data.blocks.group_into_blocks` cuts a corpus held in memory
  (the tokens after a pass's last full block are dropped), and the batches of blocks are numbered from the
  run's start: a masked LM masks batch ``n`` with numbers drawn from ``default_rng([seed, 0, n])``
  (:func:`kerastx.data.masking.mask_tokens`);
* a run continued after ``k`` batches reads the stream again from its start and skips ``k`` batches: their
  documents are read and tokenized again (not trained on), which costs what tokenizing ``k x batch_size``
  blocks costs.

Light: imports ``datasets`` and TensorFlow only when a stream is opened or a ``fit`` made.

Example::

    splits = streamed_splits(config, read_file, text_column)       # splits.train: StreamedDocuments
    blocks = StreamedBlocks(splits.train, lambda texts: tokenizer(texts)["input_ids"], 128,
                            lambda b: {"input_ids": b, "labels": b})
    source = StreamSource(blocks, batch_size=32, seed=42, max_steps=1000)
    dataset, steps = source.dataset(DataPosition(), epochs=1, model=None, collator=None)
"""

from __future__ import annotations

import gzip
import itertools
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from kerastx.data.files import Source, existing_file, json_record
from kerastx.data.masking import MaskingRule, mask_tokens
from kerastx.data.readers.text_corpus import is_json_lines
from kerastx.errors import ConfigError, DataError
from kerastx.utf8 import utf8_text

SHUFFLE_BUFFER = 10_000  # documents held in the shuffle buffer by default
TOKENIZER_DOCUMENTS = 10_000  # a scratch model's tokenizer is trained on the stream's first documents, at most these
VALIDATION_DOCUMENTS = 500  # validation documents read from a stream, without --max_eval_samples
TOKENIZED_AT_ONCE = 64  # documents per tokenizer call: a fast tokenizer encodes a batch in parallel
LABELS = "labels"
# How a local file is streamed: JSON Lines by our own reader (a bad line named as the in-memory reader names it),
# the others by datasets' own builders, which read them lazily (and decompress .gz); any other file is plain
# text, one document per line or per paragraph, as the in-memory reader cuts it.
STREAMED_FORMATS = {".json": ("json", {}), ".csv": ("csv", {}),
                    ".tsv": ("csv", {"sep": "\t"}), ".parquet": ("parquet", {})}


@dataclass(frozen=True)
class StreamedDocuments:
    """The non-blank documents of a stream after its first ``held_out`` records (left to validation).

    Example::

        documents = StreamedDocuments(stream, "code.jsonl.gz", "content", held_out=500, seed=42)
        next(documents.texts())                  # the first training document, in stream order
        next(documents.texts(stream_pass=1))     # one of the second pass, through the shuffle buffer
    """

    stream: object  # datasets.IterableDataset, in its own order
    name: str
    column: str
    held_out: int = 0
    seed: int = 0
    shuffle_buffer: int = SHUFFLE_BUFFER

    def texts(self, stream_pass: int | None = None) -> Iterator[str]:
        """In stream order (``stream_pass`` None), or as pass ``stream_pass`` (from 0) reads them, shuffled in a
        buffer of ``shuffle_buffer`` documents (1: in stream order)."""
        stream = self.stream.select_columns([self.column])
        if self.held_out:
            stream = stream.skip(self.held_out)
        if stream_pass is not None and self.shuffle_buffer > 1:
            # a seed per pass, not set_epoch: datasets refuses to reshuffle a skipped stream's sources at a later epoch
            seed = int(np.random.default_rng([self.seed, stream_pass]).integers(2 ** 31))
            stream = stream.shuffle(seed=seed, buffer_size=self.shuffle_buffer)
        return document_texts(stream, self.column, self.name)


def document_texts(records, column: str, name: str) -> Iterator[str]:
    """The non-blank ``column`` values of ``records``; one that is not text is a DataError naming ``name``."""
    for record in records:
        text = record[column]
        if not isinstance(text, str):
            raise DataError(f"{name}: a document's '{column}' is not text ({text!r}); every record needs text there")
        if text.strip():
            yield text


def streamed_splits(config, read_file: Callable, text_column: Callable, builtin_names=()):
    """The run's :class:`~kerastx.data.splits.Splits` with the training documents as a stream
    (:class:`StreamedDocuments`) and the validation documents read whole: ``--validation_file`` (by
    ``read_file``), else the first documents of the hub dataset's validation split, else the stream's first
    documents, held out (and skipped by training). ``--max_eval_samples`` documents (default
    ``VALIDATION_DOCUMENTS``) are read from a stream. ``text_column(column_names, name)`` picks the documents'
    column."""
    from kerastx.data.splits import VALIDATION_NAMES, Splits

    streams, name = _open_streams(config, builtin_names)
    train = streams["train"]
    column = text_column(_columns(train, name), name)
    count = config.max_eval_samples or VALIDATION_DOCUMENTS
    validation_split = next((split for split in VALIDATION_NAMES if split in streams), None)
    held_out, description = 0, f"{name} (streamed)"
    if config.validation_file:
        validation, validation_source = read_file(config.validation_file)
    elif validation_split:
        stream, split_name = streams[validation_split], f"{name}[{validation_split}]"
        validation = _first_documents(stream, text_column(_columns(stream, split_name), split_name), split_name, count)
        validation_source = Source(f"{split_name} (its first {count} documents)")
    else:
        held_out = count
        validation = _first_documents(train, column, name, count)
        validation_source = Source(f"{name} (its first {count} documents)")
        description = f"{name} (streamed; its first {count} documents held out for validation)"
    documents = StreamedDocuments(train, name, column, held_out, config.seed, config.shuffle_buffer)
    return Splits(documents, validation, Source(name), validation_source, description)


def _open_streams(config, builtin_names) -> tuple[dict, str]:
    """``({"train": stream, ...other splits}, name)`` of ``--train_file`` or the hub ``--dataset``."""
    if config.train_file:
        return {"train": _local_stream(config.train_file, config.document_split)}, str(config.train_file)
    if config.dataset is None or config.dataset in builtin_names:
        raise ConfigError(f"--streaming reads a --train_file or a hub --dataset; the built-in "
                          f"{config.dataset or next(iter(builtin_names), 'corpus')} is read whole: drop --streaming")
    return _hub_streams(config)


def _local_stream(path, document_split: str):
    import datasets

    file = existing_file(path, "a file to stream (--streaming reads one .jsonl, .csv, .tsv, .parquet or text file, "
                               "gzipped or not)")
    if is_json_lines(file):
        return datasets.IterableDataset.from_generator(json_lines_records, gen_kwargs={"path": str(file)})
    suffix = Path(file.name.lower().removesuffix(".gz")).suffix
    builder, options = STREAMED_FORMATS.get(suffix, ("text", {"sample_by": document_split}))
    try:
        return datasets.load_dataset(builder, data_files=str(file), split="train", streaming=True, **options)
    except Exception as err:  # datasets raises many types for a file it cannot read
        raise DataError(f"{file}: cannot stream it as {builder}: {' '.join(str(err).split())[:200]}") from None


def json_lines_records(path: str) -> Iterator[dict]:
    """The records of a JSON Lines file (gzipped or not), read a line at a time; a line that is not UTF-8 or not
    a JSON object is a DataError naming it, as when the file is read whole. Every record has the first one's
    fields (None where it lacks one), as a table's rows do.

    Example::

        next(json_lines_records("code.jsonl.gz"))  # {'repo_name': ..., 'path': ..., 'content': ...}
    """
    fields = None
    for number, line in _text_lines(Path(path)):
        if line.strip():
            record = json_record(line, path, number)
            fields = list(record) if fields is None else fields
            yield {field: record.get(field) for field in fields}


def _text_lines(file: Path) -> Iterator[tuple[int, str]]:
    """``(number, text)`` of each line of a UTF-8 file (its ``\\n`` dropped), decompressed as it is read when its
    name ends in ``.gz``."""
    offset = 0
    try:
        with (gzip.open if file.name.lower().endswith(".gz") else open)(file, "rb") as handle:
            for number, data in enumerate(handle, start=1):
                yield number, utf8_text(data, str(file), first_line=number, offset=offset).removesuffix("\n")
                offset += len(data)
    except (gzip.BadGzipFile, EOFError, zlib.error) as err:  # not gzip, cut short, or corrupt
        raise DataError(f"{file}: cannot decompress as gzip: {err}") from None


def _hub_streams(config) -> tuple[dict, str]:
    """The hub dataset's splits as streams: nothing is downloaded until they are read."""
    import datasets

    from kerastx.hub import hub_reachable, offline_reason

    name = f"{config.dataset}/{config.dataset_config}" if config.dataset_config else config.dataset
    if not hub_reachable():
        raise DataError(f"dataset '{name}': --streaming reads it from the Hub, and {offline_reason()}; pass a local "
                        "file with --train_file")
    try:
        streams = datasets.load_dataset(config.dataset, config.dataset_config, revision=config.dataset_revision,
                                        streaming=True)
    except Exception as err:  # connection, not found, script refused, bad config
        raise DataError(f"dataset '{name}': cannot stream it: {' '.join(str(err).split())[:300]}") from None
    if "train" not in streams:
        raise DataError(f"dataset '{name}' has no 'train' split (splits: {', '.join(streams)})")
    return dict(streams), name


def _columns(stream, name: str) -> list[str]:
    """A stream's column names: from its features, else from its first record (a text or JSON file's)."""
    if stream.column_names:
        return stream.column_names
    first = next(iter(stream), None)
    if first is None:
        raise DataError(f"{name}: no documents")
    return list(first)


def _first_documents(stream, column: str, name: str, count: int):
    """The non-blank documents among the first ``count`` records of ``stream``, as a ``Dataset`` of ``text``."""
    import datasets

    texts = list(document_texts(itertools.islice(stream, count), column, name))
    return datasets.Dataset.from_dict({"text": texts}, features=datasets.Features({"text": datasets.Value("string")}))


class StreamedBlocks:
    """Blocks of ``block_length`` token ids cut from streamed documents as they are read: each pass over the
    stream tokenized ``TOKENIZED_AT_ONCE`` documents at a time by ``document_ids(texts)``, concatenated and cut
    as :func:`~kerastx.data.blocks.group_into_blocks` cuts a whole corpus. ``columns(blocks)`` gives the stored
    columns of a batch of blocks (the recipe's training examples). A stream has no length of its own.

    Example::

        blocks = StreamedBlocks(documents, lambda texts: tokenizer(texts)["input_ids"], 128,
                                lambda b: {"input_ids": b})
        first = next(blocks.blocks(stream_pass=0))     # 128 int32 ids
    """

    def __init__(self, documents: StreamedDocuments, document_ids: Callable[[list[str]], list[list[int]]],
                 block_length: int, columns: Callable[[np.ndarray], dict]):
        self.documents, self.document_ids, self.block_length = documents, document_ids, block_length
        self.columns = columns
        self.failure: DataError | None = None  # what stopped :meth:`endless`; only this object sets it

    @property
    def name(self) -> str:
        return self.documents.name

    def blocks(self, stream_pass: int | None) -> Iterator[np.ndarray]:
        """The blocks of one pass (from 0) over the stream; of its documents in stream order for None."""
        texts = self.documents.texts(stream_pass)
        pending = np.zeros(0, np.int32)  # tokens not yet in a block
        while chunk := list(itertools.islice(texts, TOKENIZED_AT_ONCE)):
            pending = np.concatenate([pending, *(np.asarray(ids, np.int32) for ids in self.document_ids(chunk))])
            full = len(pending) // self.block_length * self.block_length
            yield from pending[:full].reshape(-1, self.block_length)
            pending = pending[full:]

    def endless(self) -> Iterator[np.ndarray]:
        """The blocks of pass 0, then of pass 1, ... for as long as they are read.

        Training reads them inside ``tf.data``, where a DataError (a malformed line far into the stream) reaches
        ``fit`` only as TensorFlow's own error, a traceback for text: it is kept in ``failure`` first, for the
        entry point to print as the one line it is."""
        try:
            for stream_pass in itertools.count():
                found = False
                for block in self.blocks(stream_pass):
                    found = True
                    yield block
                if not found:
                    raise DataError(self._too_short())
        except DataError as err:
            self.failure = err
            raise

    def check_first_block(self) -> None:
        """Reads the stream, in its order (no shuffle buffer to fill), up to its first full block: a stream shorter
        than one block is refused before training, not in the middle of it (every pass holds the same tokens)."""
        if next(self.blocks(None), None) is None:
            raise DataError(self._too_short())

    def _too_short(self) -> str:
        return (f"{self.name}: the streamed documents hold fewer than one block of max_length={self.block_length} "
                f"tokens: give more text or a smaller --max_length")


class StreamSource:
    """Training data read from a stream (:class:`StreamedBlocks`), a :class:`~kerastx.data.sources.TrainingSource`:
    one ``fit`` spans the run (an epoch is ``max_steps`` batches); batches of ``batch_size`` blocks, numbered
    from the run's start, are masked by ``masking`` (a masked LM) with numbers drawn from a generator seeded by
    ``(seed, 0, number)``. The stored columns other than ``labels`` are the model's inputs.

    Example::

        source = StreamSource(blocks, batch_size=32, seed=42, max_steps=1000, masking=rule)
        dataset, steps = source.dataset(DataPosition(batch=200), 1, model, collator)   # batches 200 to 999: 800
    """

    def __init__(self, blocks: StreamedBlocks, batch_size: int, seed: int, max_steps: int,
                 masking: MaskingRule | None = None):
        self.blocks, self.batch_size, self.seed, self.masking = blocks, batch_size, seed, masking
        self.max_steps = max_steps
        self.examples = max_steps * batch_size  # the blocks the run reads

    @property
    def failure(self) -> DataError | None:
        return self.blocks.failure

    def steps_per_epoch(self) -> int:
        return self.max_steps

    def describe(self) -> str:
        masked = ", masked anew in each batch" if self.masking else ""
        return (f"blocks of {self.blocks.block_length} tokens cut from {self.blocks.name} as it is read, "
                f"{self.max_steps:,} batches of {self.batch_size} in one pass or more{masked}")

    def batches(self, skip: int = 0) -> Iterator[dict]:
        """The batches (numpy columns) from number ``skip`` on: those before are cut from the stream again and
        dropped, unmasked."""
        blocks = self.blocks.endless()
        for number in itertools.count():
            rows = list(itertools.islice(blocks, self.batch_size))
            if number < skip:
                continue
            batch = self.blocks.columns(np.stack(rows))
            if self.masking is not None:
                rng = np.random.default_rng([self.seed, 0, number])
                batch["input_ids"], batch[LABELS] = mask_tokens(batch["input_ids"], self.masking, rng)
            yield batch

    def dataset(self, position, epochs: int, model, collator):
        """``(dataset, steps)``: the batches from ``position.batch`` to the run's last step (``epochs`` is 1: the
        run is one epoch; the blocks need no collator)."""
        import tensorflow as tf

        spec = tf.TensorSpec((self.batch_size, self.blocks.block_length), tf.int32)
        inputs = [name for name in self.blocks.columns(np.zeros((1, self.blocks.block_length), np.int32))
                  if name != LABELS]

        skip = position.batch  # read now: the trainer moves the position on as training goes

        def features_and_labels():
            for batch in self.batches(skip):
                yield {name: batch[name] for name in inputs}, batch[LABELS]

        dataset = tf.data.Dataset.from_generator(features_and_labels,
                                                 output_signature=({name: spec for name in inputs}, spec))
        return dataset.prefetch(tf.data.AUTOTUNE), self.max_steps - position.batch
