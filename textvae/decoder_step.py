"""One decoding step of every row: the next token's logits and the decoder's new state.

Decoding a few sentences on a CPU is memory traffic: each step reads every weight of the GRU and of the output
layer to compute a handful of rows, and the weights no longer stay in the caches between steps (at the base
model's size 3.1 MB of GRU weights and 3 MB of int8 output layer a step, against a 1-MB L2 cache). For display
decoding (``fast``) a single-layer GRU's step reads only its recurrent weights: the input projection of
[embedding of the last token; z] is, for the token, a row of one table per model (embedding × input weights,
computed once, 91 ms for the base model's size) and, for z, the same at every step of a decoding. The table is kept
in float16 (18 MB at the base model's size, for a model of 30 MB): greedy reconstructions of 400 SNLI sentences by
the demo model are the same text as with a float32 table in 99.5 %. The output layer is read in int8
(``textvae.int8_output``). Every decoding a metric scores runs the plain modules in fp32.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable

import torch
from torch import Tensor, nn

from .int8_output import output_logits
from .model import SentenceVAE

MAX_TABLE = 16_000_000  # entries (32 MB): a larger vocabulary × gates table costs more memory than it saves time
TABLE_DTYPE = torch.float16

Step = Callable[[Tensor, object], tuple[Tensor, object]]

_lock = threading.Lock()
_tables: weakref.WeakKeyDictionary[nn.Module, tuple[tuple[int, int, int, int], Tensor]] = weakref.WeakKeyDictionary()


def decoder_step(model: SentenceVAE, z: Tensor, fast: bool) -> Step:
    """``step(tokens, state) -> (fp32 logits, state)`` for the rows of ``z``; ``state`` None at the first step.
    ``fast``: the display speed-ups of the module's docstring, where they apply."""
    table = _input_table(model) if fast and _table_applies(model, z) else None
    if table is None:

        def plain(tokens: Tensor, state):
            out, state = model.decode(z, tokens.unsqueeze(1), state)
            hidden = model.output_dropout(out[:, -1])
            return (output_logits(model.output, hidden) if fast else model.output(hidden).float()), state

        return plain

    gru = model.decoder
    from_z = torch.addmm(gru.bias_ih_l0, z, gru.weight_ih_l0[:, model.config.embed_dim :].t())
    recurrent = gru.weight_hh_l0.t()

    def looked_up(tokens: Tensor, state):
        h = model.initial_state(z)[0] if state is None else state[0]
        i_r, i_u, i_n = (table.index_select(0, tokens).float() + from_z).chunk(3, 1)
        h_r, h_u, h_n = torch.addmm(gru.bias_hh_l0, h, recurrent).chunk(3, 1)  # PyTorch's gate order: r, z, n
        reset, update = torch.sigmoid(i_r + h_r), torch.sigmoid(i_u + h_u)
        candidate = torch.tanh(i_n + reset * h_n)
        h = candidate + update * (h - candidate)
        return output_logits(model.output, h), h.unsqueeze(0)

    return looked_up


def _table_applies(model: SentenceVAE, z: Tensor) -> bool:
    c = model.config
    return (
        c.rnn == "gru"
        and c.num_layers == 1
        and z.device.type == "cpu"
        and not torch.is_grad_enabled()
        and not model.training
        and model.decoder.weight_hh_l0.dtype == torch.float32
        and c.vocab_size * 3 * c.hidden_dim <= MAX_TABLE
    )


def _input_table(model: SentenceVAE) -> Tensor:
    """embedding × the GRU's input weights for the embedding (vocabulary × 3 hidden, in TABLE_DTYPE), made again
    when either changes (a training step, a load)."""
    embedding, weight = model.embedding.weight, model.decoder.weight_ih_l0
    key = (embedding.data_ptr(), embedding._version, weight.data_ptr(), weight._version)
    with _lock:
        cached = _tables.get(model.decoder)
        if cached is not None and cached[0] == key:
            return cached[1]
    with torch.no_grad():
        table = (embedding.float() @ weight[:, : model.config.embed_dim].float().t()).to(TABLE_DTYPE)
    with _lock:
        _tables[model.decoder] = (key, table)
    return table
