"""The special tokens every tokenizer starts with, and their ids: the one place both the tokenizer and the
model read them from (the model's padding index and decoding start/stop must match the vocabulary)."""

PAD, UNK, BOS, EOS = "[PAD]", "[UNK]", "[BOS]", "[EOS]"
SPECIAL_TOKENS = (PAD, UNK, BOS, EOS)
PAD_ID, UNK_ID, BOS_ID, EOS_ID = range(len(SPECIAL_TOKENS))
