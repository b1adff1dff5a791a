"""A one-layer GRU over whole sequences for CPU training: one autograd node, fewer activations than ``nn.GRU``.

PyTorch's CPU GRU records every step's cell as a dozen autograd nodes; the three GRU passes of a training step on
82-token sentences (batch 32, hidden 256) held 58 MB until backward. Here one autograd node covers the sequence and
keeps, per step, what the cell's derivative needs (the reset, update and candidate gates and W_hn h + b_hn) beside
the outputs and the inputs; the weight gradients are one matmul over all steps instead of one per step. Same maths
as ``nn.GRU`` (tests compare outputs and gradients). Measured in benchmarks/README.md: peak RSS 20 MB lower, as
fast. Used in training on CPU in float32 for one-layer GRUs (``applies``); inference, autocast, CUDA, LSTMs and
stacked layers keep ``nn.GRU``.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def applies(rnn: nn.Module, inputs: Tensor) -> bool:
    """Whether ``run`` replaces ``rnn`` for these inputs (a CPU float32 training step of a one-layer GRU)."""
    return (
        isinstance(rnn, nn.GRU)
        and rnn.num_layers == 1
        and rnn.batch_first
        and inputs.device.type == "cpu"
        and inputs.dtype == torch.float32
        and torch.is_grad_enabled()
        and not torch.is_autocast_enabled("cpu")
    )


def run(rnn: nn.GRU, inputs: Tensor, h0: Tensor, reverse: bool = False) -> Tensor:
    """Outputs (B, T, H) of ``rnn``'s forward direction (or, with ``reverse``, its backward direction's weights)
    over batch-first ``inputs`` (B, T, I) from ``h0`` (B, H). Every sequence is read for all T steps."""
    suffix = "_l0_reverse" if reverse else "_l0"
    weights = [getattr(rnn, name + suffix) for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    return _GRUSequence.apply(inputs, h0, *weights)


class _GRUSequence(torch.autograd.Function):
    """Time-major inside: each step's slices are contiguous, which per-step matmuls need to run at full speed."""

    @staticmethod
    def forward(ctx, x: Tensor, h0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor, b_hh: Tensor) -> Tensor:
        batch, steps, _ = x.shape
        hidden = h0.size(-1)
        x_steps = x.transpose(0, 1).reshape(steps * batch, -1)
        gi = torch.addmm(b_ih, x_steps, w_ih.t()).view(steps, batch, 3 * hidden)
        hs = x.new_empty(steps, batch, hidden)
        gates = x.new_empty(steps, batch, 3 * hidden)  # reset, update, candidate
        hn = x.new_empty(steps, batch, hidden)  # W_hn h + b_hn, which the reset gate scales
        gh = x.new_empty(batch, 3 * hidden)
        gh_rz, gh_n, w_hh_t = gh[:, : 2 * hidden], gh[:, 2 * hidden :], w_hh.t()
        # per-step views made once: slicing inside the loop cost more than the elementwise maths
        per_step = zip(
            gi[..., : 2 * hidden].unbind(0),
            gi[..., 2 * hidden :].unbind(0),
            gates[..., : 2 * hidden].unbind(0),
            gates[..., :hidden].unbind(0),
            gates[..., hidden : 2 * hidden].unbind(0),
            gates[..., 2 * hidden :].unbind(0),
            hn.unbind(0),
            hs.unbind(0),
            strict=True,
        )
        h = h0 = h0.contiguous()
        for gi_rz, gi_n, rz, r, z, n, hn_t, h_t in per_step:
            torch.addmm(b_hh, h, w_hh_t, out=gh)
            torch.add(gi_rz, gh_rz, out=rz).sigmoid_()
            torch.addcmul(gi_n, r, gh_n, out=n).tanh_()
            hn_t.copy_(gh_n)
            h = torch.lerp(n, h, z, out=h_t)  # (1 - z) n + z h
        ctx.save_for_backward(x_steps, h0, hs, gates, hn, w_ih, w_hh)
        return hs.transpose(0, 1)

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        x_steps, h0, hs, gates, hn, w_ih, w_hh = ctx.saved_tensors
        steps, batch, hidden = hs.shape
        # d loss / d (W_hh h + b_hh) per step; for W_ih x + b_ih the reset and update parts are the same and the
        # candidate part is d_n (before the reset gate scales it)
        d_gh = hs.new_empty(steps, batch, 3 * hidden)
        d_n = hs.new_empty(steps, batch, hidden)
        per_step = zip(
            grad_out.unbind(1),
            gates[..., : 2 * hidden].unbind(0),
            gates[..., :hidden].unbind(0),
            gates[..., hidden : 2 * hidden].unbind(0),
            gates[..., 2 * hidden :].unbind(0),
            hn.unbind(0),
            (h0, *hs[:-1].unbind(0)),
            d_gh.unbind(0),
            d_gh[..., :hidden].unbind(0),
            d_gh[..., hidden : 2 * hidden].unbind(0),
            d_gh[..., 2 * hidden :].unbind(0),
            d_n.unbind(0),
            strict=True,
        )
        dh, scratch = torch.zeros_like(h0), torch.empty_like(h0)
        for grad_t, rz, r, z, n, hn_t, h_prev, d_gh_t, d_r, d_z, d_ghn, d_n_t in reversed(list(per_step)):
            dh += grad_t
            torch.addcmul(dh, dh, z, value=-1.0, out=scratch)  # d h / d n = 1 - z
            torch.ops.aten.tanh_backward.grad_input(scratch, n, grad_input=d_n_t)
            torch.mul(d_n_t, hn_t, out=d_r)
            torch.mul(dh, torch.sub(h_prev, n, out=scratch), out=d_z)  # d h / d z = h_prev - n
            d_rz = d_gh_t[:, : 2 * hidden]
            torch.ops.aten.sigmoid_backward.grad_input(d_rz, rz, grad_input=d_rz)
            torch.mul(d_n_t, r, out=d_ghn)
            dh = torch.addmm(dh.mul_(z), d_gh_t, w_hh)  # d h / d h_prev = z, plus through W_hh
        flat_gh, flat_n = d_gh.view(steps * batch, 3 * hidden), d_n.view(steps * batch, hidden)
        flat_rz = flat_gh[:, : 2 * hidden]
        h_prev = torch.cat([h0.unsqueeze(0), hs[:-1]]).view(steps * batch, hidden)
        grad_x = torch.addmm(flat_n @ w_ih[2 * hidden :], flat_rz, w_ih[: 2 * hidden])
        grad_w_ih = torch.cat([flat_rz.t() @ x_steps, flat_n.t() @ x_steps])
        grad_b_ih = torch.cat([flat_rz.sum(0), flat_n.sum(0)])
        grad_x = grad_x.view(steps, batch, -1).transpose(0, 1)
        return grad_x, dh, grad_w_ih, flat_gh.t() @ h_prev, grad_b_ih, flat_gh.sum(0)
