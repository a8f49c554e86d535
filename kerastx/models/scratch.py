"""From-scratch models: an architecture at a named size, with a tokenizer trained on the training text.

Spelled ``scratch:<architecture>-<size>`` on the command line, e.g. ``scratch:bert-tiny`` for an
encoder, ``scratch:marian-mini`` for a translation model or ``scratch:gpt2-small`` for a causal language
model. Each architecture declares its special tokens (in id order), how they frame a sequence, and how to
build its transformers config. The tokenizer (WordPiece, unigram or byte-level BPE) is trained on the
training text, and the same text gives the same tokenizer in every process: two runs of one seeded
command start from the same vocabulary (how: :mod:`kerastx.models.tokenizer_training`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from kerastx.errors import ConfigError
from kerastx.models import tokenizer_training

# (layers, hidden size, attention heads); the feed-forward width is 4x hidden. Seq2seq models get
# this many layers in the encoder and again in the decoder.
SIZES = {
    "tiny": (2, 128, 2),
    "mini": (4, 256, 4),
    "small": (4, 512, 8),
    "base": (12, 768, 12),
}


@dataclass(frozen=True)
class Architecture:
    special_tokens: dict[str, str]  # role (pad, unk, eos...) -> token; ids follow this order; roles may share a token
    single: str  # tokenizers TemplateProcessing for one sequence
    pair: str | None  # ... and for a pair, when the architecture takes pairs
    build_config: Callable  # (layers, hidden, heads, vocab_size, ids, max_length, overrides) -> PretrainedConfig
    prefix_space: bool = True  # a byte-level BPE tokenizer marks a text's first word as if a space preceded it


def _bert(layers, hidden, heads, vocab_size, ids, max_length, overrides):
    from transformers import BertConfig

    return BertConfig(vocab_size=vocab_size, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                      intermediate_size=4 * hidden, max_position_embeddings=max(512, max_length),
                      pad_token_id=ids["pad"], **overrides)


def _marian(layers, hidden, heads, vocab_size, ids, max_length, overrides):
    from transformers import MarianConfig

    return MarianConfig(vocab_size=vocab_size, d_model=hidden, encoder_layers=layers, decoder_layers=layers,
                        encoder_attention_heads=heads, decoder_attention_heads=heads, encoder_ffn_dim=4 * hidden,
                        decoder_ffn_dim=4 * hidden, max_position_embeddings=max(512, max_length),
                        pad_token_id=ids["pad"], eos_token_id=ids["eos"], decoder_start_token_id=ids["pad"],
                        scale_embedding=True, share_encoder_decoder_embeddings=True,
                        # embeddings scaled by sqrt(d) then have unit variance, like the sinusoidal positions
                        # they are added to (0.02 would leave token identity drowned by position)
                        init_std=hidden ** -0.5, **overrides)


def _bart(layers, hidden, heads, vocab_size, ids, max_length, overrides):
    from transformers import BartConfig

    return BartConfig(vocab_size=vocab_size, d_model=hidden, encoder_layers=layers, decoder_layers=layers,
                      encoder_attention_heads=heads, decoder_attention_heads=heads, encoder_ffn_dim=4 * hidden,
                      decoder_ffn_dim=4 * hidden, max_position_embeddings=max(1024, max_length),
                      bos_token_id=ids["bos"], pad_token_id=ids["pad"], eos_token_id=ids["eos"],
                      decoder_start_token_id=ids["eos"], **overrides)


def _t5(layers, hidden, heads, vocab_size, ids, max_length, overrides):
    from transformers import T5Config

    return T5Config(vocab_size=vocab_size, d_model=hidden, d_kv=hidden // heads, d_ff=4 * hidden, num_layers=layers,
                    num_decoder_layers=layers, num_heads=heads, pad_token_id=ids["pad"], eos_token_id=ids["eos"],
                    decoder_start_token_id=ids["pad"], **overrides)


def _gpt2(layers, hidden, heads, vocab_size, ids, max_length, overrides):
    from transformers import GPT2Config

    return GPT2Config(vocab_size=vocab_size, n_layer=layers, n_embd=hidden, n_head=heads,
                      n_positions=max(1024, max_length), bos_token_id=ids["bos"], eos_token_id=ids["eos"],
                      pad_token_id=ids["pad"], **overrides)


ARCHITECTURES = {
    "bert": Architecture({"pad": "[PAD]", "unk": "[UNK]", "cls": "[CLS]", "sep": "[SEP]", "mask": "[MASK]"},
                         "[CLS] $A [SEP]", "[CLS] $A [SEP] $B:1 [SEP]:1", _bert),
    # eos first: id 0 is what MarianConfig's defaults (eos_token_id, forced_eos_token_id) expect
    "marian": Architecture({"eos": "</s>", "unk": "<unk>", "pad": "<pad>"}, "$A </s>", None, _marian),
    "bart": Architecture({"bos": "<s>", "pad": "<pad>", "eos": "</s>", "unk": "<unk>", "mask": "<mask>"},
                         "<s> $A </s>", "<s> $A </s> </s> $B </s>", _bart),
    "t5": Architecture({"pad": "<pad>", "eos": "</s>", "unk": "<unk>"}, "$A </s>", "$A </s> $B </s>", _t5),
    # One token for all three roles, as GPT-2 has: it separates the documents packed into a block, starts
    # generation from nothing, and pads batches (the attention mask hides it). No unknown token: byte-level BPE
    # spells any text with its 256 byte symbols. No prefix space: code's first token is not a word after a space.
    "gpt2": Architecture({"eos": "<|endoftext|>", "bos": "<|endoftext|>", "pad": "<|endoftext|>"}, "$A", None, _gpt2,
                         prefix_space=False),
}
SEQ2SEQ_ARCHITECTURES = ("marian", "bart", "t5")
CAUSAL_ARCHITECTURES = ("gpt2",)


@dataclass(frozen=True)
class ScratchSpec:
    architecture: str
    size: str

    @classmethod
    def parse(cls, spec: str, allowed=None) -> "ScratchSpec":
        """``scratch:marian-mini`` -> ScratchSpec("marian", "mini"); ``allowed`` limits the architectures."""
        allowed = tuple(allowed or ARCHITECTURES)
        architecture, _, size = spec.removeprefix("scratch:").partition("-")
        if architecture not in allowed or size not in SIZES:
            raise ConfigError(f"model '{spec}': expected scratch:<architecture>-<size> with architecture in "
                              f"{', '.join(allowed)} and size in {', '.join(SIZES)}")
        return cls(architecture, size)

    def build_config(self, tokenizer, max_length: int, **overrides):
        layers, hidden, heads = SIZES[self.size]
        architecture = ARCHITECTURES[self.architecture]
        ids = {role: tokenizer.convert_tokens_to_ids(token) for role, token in architecture.special_tokens.items()}
        return architecture.build_config(layers, hidden, heads, len(tokenizer), ids, max_length, overrides)


def train_tokenizer(texts, architecture: str, algorithm: str, vocab_size: int):
    """A fast tokenizer trained on ``texts`` (an iterable of strings) with the architecture's special tokens.

    For translation, pass source and target texts together: the vocabulary is shared, as Marian and
    T5 share their embeddings between encoder and decoder.
    """
    from tokenizers import processors
    from transformers import PreTrainedTokenizerFast

    spec = ARCHITECTURES[architecture]
    special = spec.special_tokens
    special_list = list(dict.fromkeys(special.values()))
    if "unk" not in special and algorithm != "bpe":
        raise ConfigError(f"tokenizer_algorithm {algorithm} cannot be used for a {architecture} model, which has no "
                          "unknown token for characters outside its vocabulary; use --tokenizer_algorithm bpe "
                          "(byte-level: any text has a spelling)")
    tokenizer = tokenizer_training.train(texts, algorithm, special_list, special.get("unk"), vocab_size,
                                         spec.prefix_space)
    framing = [token for token in special_list if token in spec.single or token in (spec.pair or "")]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=spec.single, pair=spec.pair or f"{spec.single} $B:1",
        special_tokens=[(token, tokenizer.token_to_id(token)) for token in framing])
    roles = {"pad": "pad_token", "unk": "unk_token", "cls": "cls_token", "sep": "sep_token", "mask": "mask_token",
             "bos": "bos_token", "eos": "eos_token"}
    input_names = ["input_ids", "token_type_ids", "attention_mask"] if architecture == "bert" else [
        "input_ids", "attention_mask"]
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, model_input_names=input_names,
                                   **{roles[role]: token for role, token in special.items()})
