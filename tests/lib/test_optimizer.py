import subprocess
import sys

import pytest
import torch

from textvae import TextVAEError
from textvae.optimizer import FusedAdam


def _model(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3))


def _train(model: torch.nn.Module, step, zero_grad, set_lr, steps: int = 25) -> None:
    x, y = (
        torch.randn(16, 6, generator=torch.Generator().manual_seed(1)),
        torch.randn(16, 3, generator=torch.Generator().manual_seed(2)),
    )
    for i in range(steps):
        set_lr(1e-2 / (1 + i))
        zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        step()


def test_matches_torch_fused_adam_step_for_step_with_a_changing_learning_rate():
    ours, theirs = _model(0), _model(0)
    adam = FusedAdam(list(ours.parameters()))
    reference = torch.optim.Adam(theirs.parameters(), fused=True)

    def set_ours(lr):
        adam.lr = lr

    def set_theirs(lr):
        reference.param_groups[0]["lr"] = lr

    _train(ours, adam.step, adam.zero_grad, set_ours)
    _train(theirs, reference.step, reference.zero_grad, set_theirs)
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=False):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-7)
    assert float(adam.steps[0]) == 25


def test_state_round_trips_and_a_mismatched_state_is_refused():
    model = _model(0)
    adam = FusedAdam(list(model.parameters()))
    _train(model, adam.step, adam.zero_grad, lambda lr: None, steps=3)
    state = adam.state_tensors()
    assert set(state) == {f"optim.{i}.{k}" for i in range(4) for k in ("step", "exp_avg", "exp_avg_sq")}
    fresh = FusedAdam(list(_model(1).parameters()))
    fresh.load_state_tensors(state)
    for a, b in zip(fresh.exp_avg_sq + fresh.steps, adam.exp_avg_sq + adam.steps, strict=False):
        assert torch.equal(a, b)
    for bad in (
        {"optim.0.exp_avg": torch.zeros(2, 2)},
        {"optim.9.step": torch.tensor(1.0)},
        {"optim.0.momentum": torch.zeros(5, 6)},
        {"optim.x": torch.zeros(1)},
    ):
        with pytest.raises(TextVAEError, match="does not match this model"):
            fresh.load_state_tensors(bad)


def test_training_never_imports_torch_dynamo():
    # torch.optim.Optimizer imports torch._dynamo (sympy, ~800 modules, ~70 MB) when it is built
    code = (
        "import sys, torch\n"
        "from textvae import TrainConfig, train_model, TokenizerConfig\n"
        "from textvae.corpus import Corpus\n"
        "s = [f'the cat number {i} sat on the mat .' for i in range(40)]\n"
        "model = {'embed_dim': 16, 'hidden_dim': 16, 'latent_dim': 4}\n"
        "train_model(Corpus(s), None, model, TrainConfig(epochs=1, threads=1), TokenizerConfig(vocab_size=100))\n"
        "print('torch._dynamo' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
