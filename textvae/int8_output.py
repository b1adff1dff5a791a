"""The output layer in int8 for decoding on a CPU.

A decoding step of a few sentences reads every weight of the output layer (vocabulary x hidden: 12 MB in fp32 at
the base model's size) to compute a handful of rows, so the step's time is memory traffic, not arithmetic.
Weights quantized per row to int8 are a quarter of that traffic (10 rows of an 8,000 x 384 layer: 2.8 -> 0.4 ms a
step on a 2-core CPU). Decoding for display only (samples, reconstructions, interpolations): training, the
likelihoods and every decoding a metric scores (``generation.UNGUARDED``: token accuracy, BLEU, the bits a round
trip keeps) compute the fp32 layer.

The int8 kernels are PyTorch's quantized ops (fbgemm on x86, qnnpack on ARM). PyTorch 2.13 warns that creating
quantized tensors is deprecated; torch is pinned, and where the ops are missing decoding stays in fp32.
"""

from __future__ import annotations

import threading
import warnings
import weakref

import torch
from torch import Tensor, nn

MIN_WEIGHTS = 1_000_000  # a smaller layer stays in the CPU's caches: int8 would change its logits and gain nothing

_lock = threading.Lock()
_packed: weakref.WeakKeyDictionary[nn.Linear, tuple[tuple[int, int], object]] = weakref.WeakKeyDictionary()


def _pack(layer: nn.Linear) -> object | None:
    """The layer's weights as a packed int8 matrix, made again whenever they change; None where int8 is unsupported."""
    weight = layer.weight.detach()
    key = (weight.data_ptr(), weight._version)
    with _lock:
        cached = _packed.get(layer)
        if cached is not None and cached[0] == key:
            return cached[1]
    try:
        scale = (weight.abs().amax(1).clamp_min(1e-8) / 127).double()
        zero = torch.zeros(weight.size(0), dtype=torch.long)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*quantized tensor creation functions.*deprecated")
            quantized = torch.quantize_per_channel(weight.float(), scale, zero, 0, torch.qint8)
        bias = None if layer.bias is None else layer.bias.detach().float()
        packed = torch.ops.quantized.linear_prepack(quantized, bias)
    except (AttributeError, RuntimeError, NotImplementedError):  # no quantized engine in this build: stay in fp32
        packed = None
    with _lock:
        _packed[layer] = (key, packed)
    return packed


def uses_int8(layer: nn.Linear, hidden: Tensor) -> bool:
    """Whether decoding ``hidden`` through ``layer`` takes the int8 path: a large layer, on a CPU, outside autograd."""
    return hidden.device.type == "cpu" and layer.weight.numel() >= MIN_WEIGHTS and not torch.is_grad_enabled()


def output_logits(layer: nn.Linear, hidden: Tensor) -> Tensor:
    """``layer(hidden)`` in fp32, through int8 weights where that is faster (see the module's docstring)."""
    packed = _pack(layer) if uses_int8(layer, hidden) else None
    if packed is not None:
        try:
            return torch.ops.quantized.linear_dynamic(hidden.float().contiguous(), packed, True)
        except (RuntimeError, NotImplementedError):  # an engine that packs but cannot run it: fp32 from now on
            with _lock:
                _packed[layer] = (_packed[layer][0], None)
    return layer(hidden).float()
