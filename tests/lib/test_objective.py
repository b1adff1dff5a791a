import pytest
import torch
from torch.distributions import Normal, kl_divergence

from textvae.errors import TextVAEError
from textvae.objective import free_bits_kl, gaussian_kl, negative_elbo
from textvae.schedules import BetaSchedule


def test_gaussian_kl_matches_torch_distributions():
    mu, logvar = torch.randn(4, 3), torch.randn(4, 3)
    expected = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0))
    assert torch.allclose(gaussian_kl(mu, logvar), expected, atol=1e-5)
    assert torch.all(gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 3)) == 0)


def test_free_bits_floor_each_dimension_and_stop_its_gradient():
    kl = torch.tensor([[0.01, 2.0], [0.03, 4.0]], requires_grad=True)
    value = free_bits_kl(kl, 0.5)
    assert value.item() == pytest.approx(0.5 + 3.0)
    value.backward()
    assert kl.grad[:, 0].abs().sum() == 0 and kl.grad[:, 1].abs().sum() > 0
    assert free_bits_kl(kl.detach(), 0.0).item() == pytest.approx(3.02)


def test_negative_elbo_parts_add_up():
    recon, kl = torch.tensor([10.0, 20.0]), torch.tensor([[1.0, 1.0], [2.0, 2.0]])
    parts = negative_elbo(recon, kl, beta=0.5)
    assert parts["recon"].item() == 15.0 and parts["kl"].item() == 3.0 and parts["elbo"].item() == 18.0
    assert parts["loss"].item() == pytest.approx(15.0 + 0.5 * 3.0)


def test_cyclical_schedule_rises_then_holds_in_each_cycle():
    s = BetaSchedule("cyclical", cycles=4, ratio=0.5)
    assert s(0.0) == 0.0 and s(0.0625) == pytest.approx(0.5) and s(0.2) == 1.0
    assert s(0.25) == 0.0 and s(0.3125) == pytest.approx(0.5) and s(1.0) == 1.0


def test_linear_logistic_and_constant_schedules():
    assert (
        BetaSchedule("linear", warmup=0.5)(0.25) == pytest.approx(0.5)
        and BetaSchedule("linear", warmup=0.5)(0.9) == 1.0
    )
    logistic = BetaSchedule("logistic", warmup=0.3)
    assert logistic(0.0) < 0.01 and logistic(0.3) == pytest.approx(0.5) and logistic(1.0) > 0.99
    assert BetaSchedule("constant", beta_max=0.7)(0.1) == 0.7


def test_unknown_schedule_is_refused():
    with pytest.raises(TextVAEError):
        BetaSchedule("sawtooth")
