"""From-scratch models: an architecture at a named size, with a tokenizer trained on the training text.

Spelled ``scratch:<architecture>-<size>`` on the command line, e.g. ``scratch:bert-tiny``.
"""

from __future__ import annotations

from dataclasses import dataclass

from kerastx.errors import ConfigError

# (layers, hidden size, attention heads); the feed-forward width is 4x hidden.
SIZES = {
    "tiny": (2, 128, 2),
    "mini": (4, 256, 4),
    "small": (4, 512, 8),
    "base": (12, 768, 12),
}
ARCHITECTURES = ("bert",)
SPECIAL_TOKENS = {"bert": {"pad": "[PAD]", "unk": "[UNK]", "cls": "[CLS]", "sep": "[SEP]", "mask": "[MASK]"}}


@dataclass(frozen=True)
class ScratchSpec:
    architecture: str
    size: str

    @classmethod
    def parse(cls, spec: str) -> "ScratchSpec":
        body = spec.removeprefix("scratch:")
        architecture, _, size = body.partition("-")
        if architecture not in ARCHITECTURES or size not in SIZES:
            raise ConfigError(f"model '{spec}': expected scratch:<architecture>-<size> with architecture in "
                              f"{', '.join(ARCHITECTURES)} and size in {', '.join(SIZES)}")
        return cls(architecture, size)

    def build_config(self, tokenizer, max_length: int, **overrides):
        from transformers import BertConfig

        layers, hidden, heads = SIZES[self.size]
        return BertConfig(vocab_size=len(tokenizer), hidden_size=hidden, num_hidden_layers=layers,
                          num_attention_heads=heads, intermediate_size=4 * hidden,
                          max_position_embeddings=max(512, max_length), pad_token_id=tokenizer.pad_token_id,
                          **overrides)


def train_tokenizer(texts, architecture: str, algorithm: str, vocab_size: int):
    """A fast tokenizer trained on ``texts`` (an iterable of strings) with the architecture's special tokens."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    special = SPECIAL_TOKENS[architecture]
    special_list = list(dict.fromkeys(special.values()))
    if algorithm == "wordpiece":
        tokenizer = Tokenizer(models.WordPiece(unk_token=special["unk"]))
        tokenizer.normalizer = normalizers.BertNormalizer(lowercase=False)
        tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tokenizer.decoder = decoders.WordPiece()
        trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=special_list)
    elif algorithm == "bpe":
        tokenizer = Tokenizer(models.BPE(unk_token=special["unk"]))
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
        tokenizer.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special_list,
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    else:
        tokenizer = Tokenizer(models.Unigram())
        tokenizer.normalizer = normalizers.NFKC()
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
        tokenizer.decoder = decoders.Metaspace()
        trainer = trainers.UnigramTrainer(vocab_size=vocab_size, special_tokens=special_list, unk_token=special["unk"])
    tokenizer.train_from_iterator(texts, trainer=trainer)
    cls_id, sep_id = tokenizer.token_to_id(special["cls"]), tokenizer.token_to_id(special["sep"])
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{special['cls']} $A {special['sep']}",
        pair=f"{special['cls']} $A {special['sep']} $B:1 {special['sep']}:1",
        special_tokens=[(special["cls"], cls_id), (special["sep"], sep_id)],
    )
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, pad_token=special["pad"], unk_token=special["unk"],
                                   cls_token=special["cls"], sep_token=special["sep"], mask_token=special["mask"])
