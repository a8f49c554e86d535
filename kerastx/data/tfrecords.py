"""Language-model examples as TFRecord shards: token blocks of one length, written once, read by a pure
``tf.data`` pipeline (no Python in the loop), which is the input a TPU needs.

A shard folder (local or ``gs://``) holds ``shard-00000.tfrecord``, ``shard-00001.tfrecord``, ... (one
``tf.train.Example`` per block, its ``input_ids`` an int64 list) and ``index.json``, written last, which
lists the shards, their example counts and the sequence length, with what the writer adds (vocabulary size,
tokenizer). A folder without an index is a writing that did not finish, and is never read.

Training masks each batch in the graph (BERT's 80/10/10 rule,
:func:`kerastx.data.masking.mask_tokens_in_graph`), from a seed that is a function of (seed, epoch, batch
number) alone, so a resumed run masks as the interrupted one would have. Importing this module does not import
TensorFlow.

Example::

    write_shards(group_into_blocks(token_lists, 128), "gs://bucket/imdb", examples_per_shard=4096,
                 metadata={"vocab_size": len(tokenizer)})
    blocks = ShardedBlocks("gs://bucket/imdb")
    train = blocks.dataset(batch_size=64, seed=42, epoch=0, masking=MaskingRule.for_tokenizer(tokenizer))
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import numpy as np

from kerastx.data.masking import MaskingRule, mask_tokens_in_graph
from kerastx.errors import ConfigError, DataError

FORMAT = "kerastx-lm-shards/1"
INDEX = "index.json"
SHARD_NAME = "shard-{:05d}.tfrecord"
PARTIAL = ".partial"  # suffix of a file being written; renamed when complete
FEATURE = "input_ids"
READ_FILES_AT_ONCE = 8  # fixed, not AUTOTUNE: the order of the records read depends on it
SHUFFLE_BUFFER = 10_000  # examples; at 512 tokens a serialized example is about 2.5 kB


@dataclass(frozen=True)
class Shard:
    file: str  # name inside the folder
    examples: int
    sequence_length: int


@dataclass(frozen=True)
class ShardIndex:
    """What ``index.json`` says about a shard folder."""

    folder: str
    sequence_length: int
    examples: int
    shards: tuple[Shard, ...]
    metadata: dict = field(default_factory=dict)  # what the writer added: vocab_size, tokenizer, max_token_id, ...

    @property
    def paths(self) -> list[str]:
        return [os.path.join(self.folder, shard.file) for shard in self.shards]


def write_shards(blocks, output: str, examples_per_shard: int, metadata: dict | None = None,
                 overwrite: bool = False) -> dict:
    """Write ``blocks`` (1-D token id arrays, all of one length) as TFRecord shards of ``examples_per_shard``
    examples in ``output`` (a local folder or ``gs://``), then ``index.json``; returns the index.

    Each shard is written under a temporary name and renamed when complete, and the index comes last, so an
    interrupted writing leaves no index (and nothing a reader would take for shards). A folder that already
    holds shards is refused unless ``overwrite``, which removes its index and shards first.

    Example::

        index = write_shards(np.zeros((10, 128), np.int32), "shards/", examples_per_shard=4)
        index["shards"]   # [{"file": "shard-00000.tfrecord", "examples": 4, ...}, ... 4, ... 2]
    """
    import tensorflow as tf

    if examples_per_shard < 1:
        raise ConfigError(f"examples_per_shard must be at least 1, got {examples_per_shard}")
    _clear_output(output, overwrite)
    shards = [_write_shard(tf, os.path.join(output, SHARD_NAME.format(number)), chunk)
              for number, chunk in enumerate(_chunks(_checked_blocks(blocks), examples_per_shard))]
    if not shards:
        raise DataError(f"no examples to write to {output}: the corpus gave no full block of tokens")
    index = {**(metadata or {}), "format": FORMAT, "sequence_length": shards[0]["sequence_length"],
             "examples": sum(s["examples"] for s in shards), "max_token_id": max(s["max_token_id"] for s in shards),
             "shards": shards}
    with tf.io.gfile.GFile(os.path.join(output, INDEX + PARTIAL), "w") as file:
        file.write(json.dumps(index, indent=1))
    tf.io.gfile.rename(os.path.join(output, INDEX + PARTIAL), os.path.join(output, INDEX), overwrite=True)
    return index


def _clear_output(output: str, overwrite: bool) -> None:
    import tensorflow as tf

    tf.io.gfile.makedirs(output)
    existing = tf.io.gfile.glob(os.path.join(output, "shard-*")) + tf.io.gfile.glob(os.path.join(output, INDEX + "*"))
    if existing and not overwrite:
        raise DataError(f"{output} already holds shards ({os.path.basename(sorted(existing)[0])}, ...): write to "
                        "an empty folder, or overwrite them (--overwrite_output_dir)")
    for path in sorted(existing, key=lambda p: INDEX not in os.path.basename(p)):  # the index first: never a stale one
        tf.io.gfile.remove(path)


def _checked_blocks(blocks):
    """``blocks`` as arrays, each checked: 1-D, integer, non-negative, as long as the first."""
    length = None
    for number, block in enumerate(blocks):
        block = np.asarray(block)
        if block.ndim != 1 or not np.issubdtype(block.dtype, np.integer) or not len(block):
            raise DataError(f"example {number} (counted from 0) is not a non-empty 1-D list of token ids (shape "
                            f"{block.shape}, dtype {block.dtype})")
        if length is not None and len(block) != length:
            raise DataError(f"example {number} (counted from 0) has {len(block)} tokens, the examples before it "
                            f"{length}: a shard folder holds examples of one length")
        if block.min() < 0:
            raise DataError(f"example {number} (counted from 0) has a negative token id ({block.min()})")
        length = len(block)
        yield block


def _chunks(items, size: int):
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _write_shard(tf, path: str, blocks: list[np.ndarray]) -> dict:
    """One shard, written under a temporary name and renamed once complete."""
    with tf.io.TFRecordWriter(path + PARTIAL) as writer:
        for block in blocks:
            feature = tf.train.Feature(int64_list=tf.train.Int64List(value=block.tolist()))
            writer.write(tf.train.Example(features=tf.train.Features(feature={FEATURE: feature})).SerializeToString())
    tf.io.gfile.rename(path + PARTIAL, path, overwrite=True)
    return {"file": os.path.basename(path), "examples": len(blocks), "sequence_length": len(blocks[0]),
            "max_token_id": int(max(block.max() for block in blocks))}


def read_index(folder: str) -> ShardIndex:
    """The index of a shard folder, checked: it exists, lists shards that are all there, of one sequence
    length (as listed, and as the first record of each shard holds). Every problem is a one-line DataError.

    Example::

        index = read_index("gs://bucket/imdb")
        index.examples, index.sequence_length, index.metadata["vocab_size"]   # 80000, 128, 8000
    """
    import tensorflow as tf

    try:
        index = _checked_index(tf, folder)
        _check_first_records(tf, index)
    except tf.errors.OpError as err:  # unreadable: permissions, a corrupt shard, Cloud Storage unreachable
        raise DataError(f"shard folder {folder}: cannot read it ({' '.join(err.message.split())[:200]})") from None
    return index


def _checked_index(tf, folder: str) -> ShardIndex:
    index_path = os.path.join(folder, INDEX)
    if not tf.io.gfile.isdir(folder):
        raise DataError(f"shard folder {folder} does not exist")
    if not tf.io.gfile.exists(index_path):
        found = tf.io.gfile.glob(os.path.join(folder, "shard-*"))
        why = (f"it has {len(found)} shard files but no {INDEX}: their writing did not finish" if found
               else f"no {INDEX} and no shards in it")
        raise DataError(f"shard folder {folder}: {why}; write the shards with tpu/write_shards.py")
    try:
        with tf.io.gfile.GFile(index_path) as file:
            raw = json.loads(file.read())
        shards = tuple(Shard(s["file"], int(s["examples"]), int(s["sequence_length"])) for s in raw["shards"])
        index = ShardIndex(folder, int(raw["sequence_length"]), int(raw["examples"]), shards,
                           {k: v for k, v in raw.items() if k not in ("sequence_length", "examples", "shards")})
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        raise DataError(f"{index_path}: not a shard index ({type(err).__name__}: {err})") from None
    if index.metadata.get("format") != FORMAT:
        raise DataError(f"{index_path}: format {index.metadata.get('format')!r}, expected {FORMAT!r}")
    if not shards or index.examples < 1:
        raise DataError(f"{index_path}: lists no examples")
    lengths = {shard.sequence_length for shard in shards} | {index.sequence_length}
    if len(lengths) > 1:
        odd = next(s for s in shards if s.sequence_length != index.sequence_length)
        raise DataError(f"shard folder {folder} mixes sequence lengths: {odd.file} holds {odd.sequence_length} "
                        f"tokens per example, the index says {index.sequence_length}; write each length to its own "
                        "folder")
    missing = [shard.file for shard in shards if not tf.io.gfile.exists(os.path.join(folder, shard.file))]
    if missing:
        raise DataError(f"shard folder {folder}: {len(missing)} listed shards are missing ({', '.join(missing[:3])}"
                        f"{', ...' if len(missing) > 3 else ''}); copy the whole folder, or write it again")
    return index


def _check_first_records(tf, index: ShardIndex) -> None:
    """The first record of every shard holds ``sequence_length`` tokens (a shard replaced by another writing's
    would otherwise fail in the middle of training). Read in parallel: one small read per shard."""
    paths = index.paths
    firsts = tf.data.Dataset.from_tensor_slices((np.arange(len(paths)), paths)).interleave(
        lambda number, path: tf.data.TFRecordDataset(path).take(1).map(lambda record: (number, record)),
        cycle_length=min(len(paths), 16), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    for number, record in firsts.as_numpy_iterator():
        length = len(tf.train.Example.FromString(record).features.feature[FEATURE].int64_list.value)
        if length != index.sequence_length:
            raise DataError(f"shard folder {index.folder} mixes sequence lengths: {index.shards[number].file} "
                            f"holds {length} tokens per example, the index says {index.sequence_length}")


def check_vocabulary(index: ShardIndex, vocab_size: int, what: str = "the model") -> None:
    """Refuse shards whose token ids do not all fit a vocabulary of ``vocab_size`` (``what``'s embeddings):
    written with another tokenizer, they would index past the embedding table.

    Example::

        check_vocabulary(read_index(folder), model.config.vocab_size)
    """
    written = index.metadata.get("vocab_size")
    largest = index.metadata.get("max_token_id")
    if written is not None and written > vocab_size:
        raise DataError(f"shards in {index.folder} were written with a tokenizer of {written} tokens "
                        f"({index.metadata.get('tokenizer', 'unnamed')}), larger than {what}'s vocabulary of "
                        f"{vocab_size}: train with the tokenizer the shards were written with, or write them again")
    if largest is not None and largest >= vocab_size:
        raise DataError(f"shards in {index.folder} hold token id {largest}, outside {what}'s vocabulary of "
                        f"{vocab_size}: they were written with another tokenizer")


class ShardedBlocks:
    """A shard folder as training data: fixed-length blocks read, shuffled, batched and masked in ``tf.data``.

    Example::

        blocks = ShardedBlocks("gs://bucket/imdb")
        train = blocks.dataset(64, seed=42, epoch=0, masking=MaskingRule.for_tokenizer(tokenizer), epochs=3)
        model.fit(train, epochs=3, steps_per_epoch=blocks.steps_per_epoch(64))
    """

    def __init__(self, folder: str):
        self.index = read_index(folder)

    @property
    def examples(self) -> int:
        return self.index.examples

    @property
    def sequence_length(self) -> int:
        return self.index.sequence_length

    def steps_per_epoch(self, batch_size: int, input_context=None) -> int:
        """Full batches of ``batch_size`` per epoch (the last partial batch is dropped). With an
        ``input_context``, ``batch_size`` is one pipeline's, and the count is what every pipeline can give in
        every epoch (they must give as many batches as each other)."""
        pipelines = input_context.num_input_pipelines if input_context else 1
        counts = sorted(shard.examples for shard in self.index.shards)
        if pipelines == 1:
            least = self.examples
        elif len(counts) >= pipelines:  # whole files per pipeline: at least this many, the smallest ones
            least = sum(counts[:len(counts) // pipelines])
        else:
            least = self.examples // pipelines
        if least < batch_size:
            raise DataError(f"shard folder {self.index.folder}: {least} examples per input pipeline, fewer than one "
                            f"batch of {batch_size}: use a smaller --batch_size or more data")
        return least // batch_size

    def dataset(self, batch_size: int, seed: int, epoch: int, skip_batches: int = 0,
                masking: MaskingRule | None = None, causal: bool = False, input_context=None, workers: int = 1,
                epochs: int = 1):
        """The batches of epoch ``epoch`` (counted from 0) from batch ``skip_batches`` on, then those of the
        next ``epochs - 1`` epochs whole, as ``({"input_ids", "attention_mask"}, labels)`` of static shape
        ``[batch_size, sequence_length]``.

        ``masking`` (masked LM): input ids masked by the rule, labels the chosen tokens' ids and -100 elsewhere;
        ``causal=True`` (causal LM): labels are the input ids (the model shifts them). The file order, the
        shuffle and each batch's masks are functions of (seed, epoch) and the batch number, so the batches
        after ``skip_batches`` are exactly those of the whole epoch from that point. (``tf.data``'s shuffle
        also reads TensorFlow's global seed where one is set, as the trainer sets it from the run's seed.)
        Several ``epochs`` in one dataset suit one ``fit(..., steps_per_epoch=...)`` call: Keras does not
        start a dataset of unknown length again at each epoch.

        ``input_context`` (from ``strategy.distribute_datasets_from_function``) makes this one pipeline's share:
        whole shards when there are at least as many as pipelines, else every n-th example; ``batch_size`` is
        then the pipeline's. Without it, ``strategy.experimental_distribute_dataset`` shards across ``workers``
        by file (enough shards) or by example.
        """
        import tensorflow as tf

        if (masking is not None) == bool(causal):
            raise ValueError("give either masking (masked LM) or causal=True (causal LM)")
        batches = self._epoch(tf, batch_size, seed, epoch, skip_batches, masking, input_context)
        for later in range(epoch + 1, epoch + epochs):
            batches = batches.concatenate(self._epoch(tf, batch_size, seed, later, 0, masking, input_context))
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = (
            tf.data.experimental.AutoShardPolicy.OFF if input_context
            else tf.data.experimental.AutoShardPolicy.FILE if len(self.index.shards) >= workers
            else tf.data.experimental.AutoShardPolicy.DATA)
        return batches.prefetch(tf.data.AUTOTUNE).with_options(options)

    def _epoch(self, tf, batch_size: int, seed: int, epoch: int, skip_batches: int, masking: MaskingRule | None,
               input_context):
        """One epoch's batches from ``skip_batches`` on; masked by ``masking``, else labelled for a causal LM."""
        pipelines, pipeline = (input_context.num_input_pipelines, input_context.input_pipeline_id) if input_context \
            else (1, 0)
        paths = self._epoch_order(seed, epoch)
        by_file = len(paths) >= pipelines
        records = tf.data.Dataset.from_tensor_slices(paths)
        if pipelines > 1 and by_file:
            records = records.shard(pipelines, pipeline)
        records = records.interleave(tf.data.TFRecordDataset, cycle_length=min(len(paths), READ_FILES_AT_ONCE),
                                     num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        if pipelines > 1 and not by_file:
            records = records.shard(pipelines, pipeline)
        shuffle_seed = int(np.random.default_rng([seed, epoch, 1]).integers(2 ** 31))
        batches = (records.shuffle(SHUFFLE_BUFFER, seed=shuffle_seed, reshuffle_each_iteration=False)
                   .batch(batch_size, drop_remainder=True)
                   .take(self.steps_per_epoch(batch_size, input_context))
                   .skip(skip_batches))
        base_seed = tf.random.experimental.stateless_fold_in(tf.constant([seed, epoch], tf.int64), pipeline)
        length = self.sequence_length

        def transform(number, serialized):
            ids = tf.io.parse_example(serialized, {FEATURE: tf.io.FixedLenFeature([length], tf.int64)})[FEATURE]
            ids = tf.cast(ids, tf.int32)
            if masking is None:
                return {"input_ids": ids, "attention_mask": tf.ones_like(ids)}, ids
            masked, labels = mask_tokens_in_graph(ids, masking, tf.random.experimental.stateless_fold_in(
                base_seed, number))
            return {"input_ids": masked, "attention_mask": tf.ones_like(ids)}, labels

        return batches.enumerate(start=skip_batches).map(transform, num_parallel_calls=tf.data.AUTOTUNE,
                                                         deterministic=True)

    def _epoch_order(self, seed: int, epoch: int) -> list[str]:
        paths = self.index.paths
        return [paths[i] for i in np.random.default_rng([seed, epoch]).permutation(len(paths))]


class ShardSource:
    """TFRecord shards as a run's training data (a :class:`~kerastx.data.sources.TrainingSource`): full batches
    only, read, shuffled and masked (``masking``; else labelled for a causal LM) in ``tf.data``, a dataset made
    for each ``fit`` holding the epochs it spans (Keras does not start a dataset of unknown length again at each
    epoch).

    Example::

        source = ShardSource(ShardedBlocks("gs://bucket/imdb"), batch_size=64, seed=42, masking=rule)
        dataset, steps = source.dataset(DataPosition(), epochs=3, model=None, collator=None)
    """

    failure = None  # what goes wrong reading shards is TensorFlow's own error, raised as it is

    def __init__(self, shards: ShardedBlocks, batch_size: int, seed: int, masking: MaskingRule | None = None):
        self.shards, self.batch_size, self.seed, self.masking = shards, batch_size, seed, masking
        self.examples = shards.examples

    def steps_per_epoch(self) -> int:
        return self.shards.steps_per_epoch(self.batch_size)

    def describe(self) -> str:
        index = self.shards.index
        how = "masked" if self.masking else "labelled for a causal LM"
        return (f"{self.examples:,} blocks of {index.sequence_length} tokens in {len(index.shards)} TFRecord shards "
                f"({index.folder}), {self.steps_per_epoch():,} full batches of {self.batch_size} per epoch, read "
                f"and {how} in tf.data")

    def dataset(self, position, epochs: int, model, collator):
        dataset = self.shards.dataset(self.batch_size, self.seed, position.epoch, skip_batches=position.batch,
                                      masking=self.masking, causal=self.masking is None, epochs=epochs)
        return dataset, self.steps_per_epoch() - position.batch
