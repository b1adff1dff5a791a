"""Sentence VAE (Bowman et al. 2016, "Generating Sentences from a Continuous Space").

    q(z|x):  embedding -> GRU/LSTM (both ways, or one) -> (mu, log sigma^2) [encode]
    z = mu + sigma * eps                                                    [reparameterize]
    p(x|z):  GRU/LSTM with h0 = tanh(W z) and z concatenated to each input  [decode]

Optional BN-VAE (Zhu et al. 2020): batch norm on mu with a fixed scale gamma
keeps E[KL] bounded away from zero, which prevents posterior collapse. The settings, VAEConfig,
are in :mod:`textvae.config` (no torch there).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from . import lean_gru
from .config import VAEConfig
from .special_tokens import BOS_ID, EOS_ID, PAD_ID, UNK_ID  # noqa: F401  (BOS_ID, EOS_ID: re-exported)


class SentenceVAE(nn.Module):
    def __init__(self, config: VAEConfig):
        super().__init__()
        self.config = config.validate()
        c = config
        rnn = nn.GRU if c.rnn == "gru" else nn.LSTM
        self.embedding = nn.Embedding(c.vocab_size, c.embed_dim, padding_idx=PAD_ID)
        self.embed_dropout = nn.Dropout(c.embed_dropout)
        self.encoder = rnn(c.embed_dim, c.hidden_dim, c.num_layers, batch_first=True, bidirectional=c.bidirectional)
        self.to_latent = nn.Linear((2 if c.bidirectional else 1) * c.hidden_dim, 2 * c.latent_dim)
        self.mu_norm = nn.BatchNorm1d(c.latent_dim) if c.bn_vae else None
        if self.mu_norm is not None:
            self.mu_norm.weight.data.fill_(c.bn_gamma)
            self.mu_norm.weight.requires_grad_(False)
        self.latent_to_hidden = nn.Linear(c.latent_dim, c.hidden_dim * c.num_layers)
        self.decoder = rnn(c.embed_dim + c.latent_dim, c.hidden_dim, c.num_layers, batch_first=True)
        self.output_dropout = nn.Dropout(c.output_dropout)
        self.output = nn.Linear(c.hidden_dim, c.vocab_size)

    def embed(self, *token_tensors: Tensor) -> list[Tensor]:
        """Tensors of token ids embedded (dropout applied to each) through one lookup: a training step's encoder and
        decoder inputs then give the weight one dense gradient instead of two (12 MB each at the PTB size,
        zero-filled, then summed)."""
        flat = self.embedding(torch.cat([tokens.reshape(-1) for tokens in token_tensors]))
        parts = flat.split([tokens.numel() for tokens in token_tensors])
        shapes = [tokens.shape for tokens in token_tensors]
        return [self.embed_dropout(part.view(*shape, -1)) for part, shape in zip(parts, shapes, strict=True)]

    # ------------------------------------------------------------ q(z|x)
    def encode(self, tokens: Tensor, lengths: Tensor, emb: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """tokens (B, T) padded, lengths (B,) -> mu, logvar (B, D); ``emb``: the tokens already embedded."""
        emb = self.embed_dropout(self.embedding(tokens)) if emb is None else emb
        if lean_gru.applies(self.encoder, emb):
            final = self._lean_encoder_states(emb, lengths)
        else:
            if bool((lengths == tokens.size(1)).all()):
                _, state = self.encoder(emb)  # length-bucketed batches usually have no padding at all
            else:
                packed = nn.utils.rnn.pack_padded_sequence(emb, lengths.cpu(), batch_first=True, enforce_sorted=False)
                _, state = self.encoder(packed)
            h = state[0] if isinstance(state, tuple) else state
            final = torch.cat([h[-2], h[-1]], dim=-1) if self.config.bidirectional else h[-1]  # the last layer's
        mu, logvar = self.to_latent(final).chunk(2, dim=-1)
        if self.mu_norm is not None:
            mu = self.mu_norm(mu)
        return mu, logvar.clamp(-12.0, 8.0)

    def _lean_encoder_states(self, emb: Tensor, lengths: Tensor) -> Tensor:
        """The encoder's final forward and backward states (B, 2H; forward only, B x H, for a one-way encoder) through
        ``lean_gru``: the backward direction reads each sentence reversed within its own length, so padding at the
        end is never read before words."""
        batch, steps, _ = emb.shape
        zeros = emb.new_zeros(batch, self.config.hidden_dim)
        last = (lengths - 1).to(emb.device)
        rows = torch.arange(batch, device=emb.device)
        forward = lean_gru.run(self.encoder, emb, zeros)[rows, last]
        if not self.config.bidirectional:
            return forward
        if bool((lengths == steps).all()):
            reversed_emb = emb.flip(1)
        else:
            position = torch.arange(steps, device=emb.device).unsqueeze(0)
            index = torch.where(position <= last.unsqueeze(1), last.unsqueeze(1) - position, position)
            reversed_emb = emb.gather(1, index.unsqueeze(2).expand_as(emb))
        backward = lean_gru.run(self.encoder, reversed_emb, zeros, reverse=True)[rows, last]
        return torch.cat([forward, backward], dim=-1)

    @staticmethod
    def reparameterize(mu: Tensor, logvar: Tensor, generator: torch.Generator | None = None) -> Tensor:
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + eps * torch.exp(0.5 * logvar)

    # ------------------------------------------------------------ p(x|z)
    def initial_state(self, z: Tensor):
        c = self.config
        h0 = (
            torch.tanh(self.latent_to_hidden(z))
            .view(z.size(0), c.num_layers, c.hidden_dim)
            .transpose(0, 1)
            .contiguous()
        )
        return (h0, torch.zeros_like(h0)) if c.rnn == "lstm" else h0

    def decode(self, z: Tensor, inputs: Tensor, state=None, emb: Tensor | None = None):
        """Teacher-forced decoder states: z (B, D), inputs (B, T) -> hidden (B, T, H), final state; ``emb``: the
        inputs already embedded."""
        emb = self.embed_dropout(self.embedding(inputs)) if emb is None else emb
        steps = torch.cat([emb, z.unsqueeze(1).expand(-1, inputs.size(1), -1)], dim=-1)
        state = self.initial_state(z) if state is None else state
        if lean_gru.applies(self.decoder, steps):
            hidden = lean_gru.run(self.decoder, steps, state[0])
            return hidden, hidden[:, -1].unsqueeze(0)
        return self.decoder(steps, state)

    def logits(self, hidden: Tensor) -> Tensor:
        return self.output(self.output_dropout(hidden))

    def word_dropout(self, inputs: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """Replace decoder inputs (not <bos>, not padding) by <unk> with probability p."""
        p = self.config.word_dropout
        if not self.training or p <= 0:
            return inputs
        drop = torch.rand(inputs.shape, generator=generator, device=inputs.device) < p
        drop &= (inputs != PAD_ID) & (inputs != BOS_ID)
        return inputs.masked_fill(drop, UNK_ID)

    def reconstruction_nll(
        self, z: Tensor, dec_input: Tensor, target: Tensor, mask: Tensor, dec_emb: Tensor | None = None
    ) -> Tensor:
        """-log p(x|z) per sentence (B,). Logits are computed only for real tokens, never padding,
        and a few hundred rows at a time (see ``linear_cross_entropy``). ``dec_emb``: the decoder's inputs
        already embedded, word dropout included (``embed``)."""
        hidden, _ = self.decode(z, dec_input if dec_emb is not None else self.word_dropout(dec_input), emb=dec_emb)
        flat_mask = mask.reshape(-1)
        all_real = bool(flat_mask.all())  # length-bucketed batches: no padding to drop
        real = hidden.reshape(-1, hidden.size(-1)) if all_real else hidden.reshape(-1, hidden.size(-1))[flat_mask]
        real_target = target.reshape(-1) if all_real else target.reshape(-1)[flat_mask]
        matmul_dtype = (
            torch.get_autocast_dtype(real.device.type) if torch.is_autocast_enabled(real.device.type) else torch.float32
        )
        token_nll = linear_cross_entropy(
            self.output_dropout(real), self.output.weight, self.output.bias, real_target, matmul_dtype
        )
        if all_real:
            return token_nll.view(mask.shape).sum(1)
        sentence = torch.arange(z.size(0), device=z.device).unsqueeze(1).expand_as(mask).reshape(-1)[flat_mask]
        return torch.zeros(z.size(0), device=z.device, dtype=token_nll.dtype).index_add_(0, sentence, token_nll)

    def reset_decoder(self) -> None:
        """Re-initialise p(x|z) after autoencoder pretraining (Li et al. 2019)."""
        for module in (self.latent_to_hidden, self.decoder, self.output):
            module.reset_parameters()

    @property
    def device(self) -> torch.device:
        return self.embedding.weight.device


# ---------------------------------------------------------------- output layer + softmax, fused

LOGIT_ROWS = 256  # rows of logits alive at once: 256 x 10k vocabulary = 10 MB, not 100s of MB per batch
LOGIT_ALIGN = 16  # each row of a logits block starts on a multiple of 16 numbers (see _logits_block)


def _logits_block(rows: int, vocab: int, dtype: torch.dtype, device: torch.device) -> Tensor:
    """An uninitialised (rows, vocab) block whose rows lie ``LOGIT_ALIGN``-aligned in memory.

    Measured on an AVX2 machine (MKL sgemm, 1 thread): ``h @ W.T`` into a 10,002-wide output ran at 28-33 GFLOP/s,
    into the same output with rows 10,016 apart at 42-62 GFLOP/s; one block is also reused for every slice of rows
    instead of allocating two 10-MB tensors per slice."""
    padded = -(-vocab // LOGIT_ALIGN) * LOGIT_ALIGN
    return torch.empty(rows, padded, dtype=dtype, device=device)[:, :vocab]


class _LinearCrossEntropy(torch.autograd.Function):
    """-log softmax(h W^T + b)[target] per row, ``LOGIT_ROWS`` rows at a time.

    The (N, V) logits never exist whole. When gradients are wanted, forward also computes them
    for a uniform upstream gradient (d nll / d logits = softmax - onehot, while each block of
    logits is at hand), and backward only scales them: training's loss is a mean, so its upstream
    gradient is one number for every row. Any other upstream gradient recomputes the logits block
    by block. Either way the peak memory does not grow with N; in bfloat16 the matmuls run on
    AVX-512 BF16/AMX while the softmax is computed in float32.
    """

    @staticmethod
    def forward(
        ctx, hidden: Tensor, weight: Tensor, bias: Tensor, target: Tensor, dtype: torch.dtype, eager: bool
    ) -> Tensor:
        with torch.autocast(hidden.device.type, enabled=False):
            h, w, b = hidden.to(dtype), weight.to(dtype), bias.to(dtype)
            lse = torch.empty(h.size(0), device=h.device)
            picked = torch.empty_like(lse)
            block, block32 = _blocks(h, w.size(0))
            grads = _Grads(h, w, ctx.needs_input_grad[:3]) if eager else None
            for start in range(0, h.size(0), LOGIT_ROWS):
                rows = slice(start, start + LOGIT_ROWS)
                logits = _logits(b, h[rows], w, block, block32)
                picked[rows] = logits.gather(1, target[rows].unsqueeze(1)).squeeze(1)
                lse[rows] = _logsumexp_(logits, leave_softmax=grads is not None)
                if grads is not None:  # logits now holds the softmax
                    logits[torch.arange(logits.size(0), device=h.device), target[rows]] -= 1.0
                    grads.add(rows, logits, h, w, block, block32)
        ctx.save_for_backward(h, w, b, target, lse)
        ctx.grads = grads
        return lse - picked

    @staticmethod
    def backward(ctx, grad_nll: Tensor):
        grads, ctx.grads = ctx.grads, None
        if grads is not None and grad_nll.numel() and bool((grad_nll == grad_nll[0]).all()):
            return *grads.scaled(grad_nll[0]), None, None, None
        h, w, b, target, lse = ctx.saved_tensors
        with torch.autocast(h.device.type, enabled=False):
            grads = _Grads(h, w, ctx.needs_input_grad[:3])
            block, block32 = _blocks(h, w.size(0))
            for start in range(0, h.size(0), LOGIT_ROWS):
                rows = slice(start, start + LOGIT_ROWS)
                grad_logits = _logits(b, h[rows], w, block, block32).sub_(lse[rows].unsqueeze(1)).exp_()  # softmax
                grad_logits[torch.arange(grad_logits.size(0), device=h.device), target[rows]] -= 1.0
                grads.add(rows, grad_logits.mul_(grad_nll[rows].unsqueeze(1)), h, w, block, block32)
        return grads.h, grads.w, grads.b, None, None, None


class _Grads:
    """The output layer's float32 gradients, accumulated one block of d nll / d logits at a time."""

    def __init__(self, h: Tensor, w: Tensor, needed: tuple[bool, ...]) -> None:
        need_h, self.need_w, need_b = needed
        self.h = torch.empty(h.shape, device=h.device) if need_h else None
        self.w: Tensor | None = None
        self.b = torch.zeros(w.size(0), device=h.device) if need_b else None

    def add(
        self, rows: slice, grad_logits: Tensor, h: Tensor, w: Tensor, block: Tensor, block32: Tensor | None
    ) -> None:
        if self.b is not None:
            self.b += grad_logits.sum(0)
        g = grad_logits if block32 is None else block[: grad_logits.size(0)].copy_(grad_logits)
        if self.h is not None and g.dtype == self.h.dtype:
            torch.mm(g, w, out=self.h[rows])
        elif self.h is not None:
            self.h[rows] = g @ w
        if self.need_w:
            if self.w is None:
                self.w = (g.t() @ h[rows]).float()
            elif g.dtype == self.w.dtype:
                self.w.addmm_(g.t(), h[rows])
            else:
                self.w += g.t() @ h[rows]

    def scaled(self, factor: Tensor) -> tuple[Tensor | None, Tensor | None, Tensor | None]:
        """The gradients for an upstream gradient of ``factor`` on every row, scaled in place."""
        return tuple(None if grad is None else grad.mul_(factor) for grad in (self.h, self.w, self.b))


def _blocks(h: Tensor, vocab: int) -> tuple[Tensor, Tensor | None]:
    """The logits block in the matmul's precision, and a float32 one for the softmax when that differs."""
    rows = min(LOGIT_ROWS, h.size(0))
    block = _logits_block(rows, vocab, h.dtype, h.device)
    return block, (None if h.dtype == torch.float32 else _logits_block(rows, vocab, torch.float32, h.device))


def _logsumexp_(logits: Tensor, leave_softmax: bool = False) -> Tensor:
    """``torch.logsumexp(logits, 1)`` computed in place: no second block-sized tensor (10 MB) at the peak.
    With ``leave_softmax``, ``logits`` is left holding the softmax of each row."""
    top = logits.amax(1, keepdim=True)
    total = logits.sub_(top).exp_().sum(1)
    if leave_softmax:
        logits.div_(total.unsqueeze(1))
    return total.log_().add_(top.squeeze(1))


def _logits(b: Tensor, h: Tensor, w: Tensor, block: Tensor, block32: Tensor | None) -> Tensor:
    """float32 logits of one slice of rows, written into the reused blocks."""
    logits = torch.addmm(b, h, w.t(), out=block[: h.size(0)])
    return logits if block32 is None else block32[: h.size(0)].copy_(logits)


def linear_cross_entropy(
    hidden: Tensor, weight: Tensor, bias: Tensor, target: Tensor, matmul_dtype: torch.dtype = torch.float32
) -> Tensor:
    """Per-row cross-entropy of the logits ``hidden @ weight.T + bias`` against ``target`` (N,),
    equal to ``F.cross_entropy(F.linear(hidden, weight, bias), target, reduction="none")``
    but without materialising the logits; ``matmul_dtype`` bfloat16 runs the projection in bf16."""
    eager = torch.is_grad_enabled() and (hidden.requires_grad or weight.requires_grad or bias.requires_grad)
    return _LinearCrossEntropy.apply(hidden, weight, bias, target, matmul_dtype, eager)
