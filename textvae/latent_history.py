"""The latent space forming: a fixed probe set of held-out sentences encoded every few steps of training.

A class watches the map move while a model trains (GAN Lab and TensorFlow Playground show training as it
happens): with the collapse fixes off, every point falls onto the origin as the KL goes to zero; with them
on, the cloud stays spread. The snapshots are posterior means, kept at most MAX_SNAPSHOTS (older ones are
thinned, every other dropped, and the interval doubles), and saved in the bundle (``latent_history.safetensors``)
so a finished model can replay its training. Encoding config.PROBE_SIZE sentences costs about as much as a training
step of the Quick preset, so a snapshot every 25 steps costs about 4 % of the time (``benchmarks/live_map.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors_bytes
from safetensors.torch import save as save_safetensors_bytes

from .config import PROBE_SIZE
from .errors import TextVAEError
from .evaluation import posterior_stats

MAX_SNAPSHOTS = 64  # frames kept; the animation stays smooth and a bundle gains at most ~2 MB
ENCODE_BATCH = 256


def kept_after_thinning(count: int) -> list[int]:
    """The indices of ``count`` snapshots that thinning keeps: every other one, the first and the last always."""
    return sorted(set(range(0, count, 2)) | {count - 1}) if count else []


@dataclass
class LatentHistory:
    """Posterior means of the probe sentences at several training steps."""

    steps: list[int]
    means: list[np.ndarray]  # one (probe sentences, latent_dim) float16 array per step
    sentences: list[str]  # the probe sentences, in the rows' order

    def __len__(self) -> int:
        return len(self.steps)

    def stacked(self) -> np.ndarray:
        """(snapshots, sentences, latent_dim) float32."""
        return np.stack(self.means).astype(np.float32)

    def add(self, step: int, means: np.ndarray) -> None:
        if self.steps and self.steps[-1] == step:  # the same step twice (the end after a last snapshot): replace
            self.means[-1] = means.astype(np.float16)
            return
        self.steps.append(step)
        self.means.append(means.astype(np.float16))

    def thin(self) -> None:
        """Drop every other snapshot but the last (the recorder then doubles its interval)."""
        keep = kept_after_thinning(len(self.steps))
        self.steps = [self.steps[i] for i in keep]
        self.means = [self.means[i] for i in keep]

    # ---------------------------------------------------------------- the bundle file
    def to_bytes(self) -> bytes:
        tensors = {
            "steps": torch.tensor(self.steps, dtype=torch.int64),
            "means": torch.from_numpy(np.stack(self.means).astype(np.float16)),
        }
        return save_safetensors_bytes(tensors, metadata={"sentences": json.dumps(self.sentences)})

    @classmethod
    def from_bytes(cls, data: bytes, latent_dim: int) -> LatentHistory:
        """Read and check a saved history: shapes agree with each other and with the model, values are finite."""
        try:
            tensors = load_safetensors_bytes(data)
            header_len = int.from_bytes(data[:8], "little")
            metadata = json.loads(data[8 : 8 + header_len]).get("__metadata__") or {}
            sentences = json.loads(metadata.get("sentences", "null"))
        except (SafetensorError, ValueError, RuntimeError, TypeError) as exc:
            raise TextVAEError(f"latent_history.safetensors is corrupt: {str(exc)[:200]}") from exc
        steps, means = tensors.get("steps"), tensors.get("means")
        if (
            steps is None
            or means is None
            or not isinstance(sentences, list)
            or not all(isinstance(s, str) for s in sentences)
            or steps.ndim != 1
            or means.ndim != 3
            or means.shape[0] != steps.shape[0]
            or not 0 < means.shape[0] <= 4 * MAX_SNAPSHOTS
            or means.shape[1] != len(sentences)
            or means.shape[1] > 4 * PROBE_SIZE
            or means.shape[2] != latent_dim
            or steps.dtype != torch.int64
            or not means.is_floating_point()
            or not bool(torch.isfinite(means).all())
        ):
            raise TextVAEError(
                "latent_history.safetensors does not match the model (its steps, probe sentences and latent "
                "size disagree); delete it from the bundle to load the model without its training replay."
            )
        arrays = means.to(torch.float16).numpy()
        return cls([int(s) for s in steps.tolist()], list(arrays), sentences)


class LatentRecorder:
    """Encodes the probe set every ``every`` steps into a LatentHistory; the Trainer calls it."""

    def __init__(self, probe_ids: list[list[int]], sentences: list[str], every: int):
        self.probe_ids = probe_ids[:PROBE_SIZE]
        self.history = LatentHistory([], [], sentences[: len(self.probe_ids)])
        self.every = every

    def due(self, step: int) -> bool:
        return bool(self.probe_ids) and step % self.every == 0

    @torch.no_grad()
    def record(self, model, step: int) -> np.ndarray:
        """Encode the probe sentences (posterior means) with ``model`` as it is now; returns the means."""
        was_training = model.training
        means = posterior_stats(model, self.probe_ids, ENCODE_BATCH)[0].numpy()
        model.train(was_training)
        self.history.add(step, means)
        if len(self.history) > MAX_SNAPSHOTS:
            self.history.thin()
            self.every *= 2
        return means


def projection_basis(frames: np.ndarray, dims: int = 2) -> np.ndarray:
    """(latent_dim, dims) orthonormal directions of largest spread over every frame together, about the origin.

    About the origin, not the mean, so a collapsed posterior is drawn where it is: every point at (0, 0).
    One basis for all frames keeps the axes still while the points move.
    """
    flat = frames.reshape(-1, frames.shape[-1]).astype(np.float64)
    _, _, vt = np.linalg.svd(flat, full_matrices=False)
    basis = vt[:dims].T
    if basis.shape[1] < dims:  # a 1-dimensional latent space: pad with zeros
        basis = np.pad(basis, ((0, 0), (0, dims - basis.shape[1])))
    return basis


def project_frames(frames: np.ndarray, dims: int = 2) -> np.ndarray:
    """(snapshots, sentences, dims) coordinates of every frame in one shared basis."""
    return frames @ projection_basis(frames, dims)
