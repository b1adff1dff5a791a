import pickle

import pytest
import torch

from textvae import TextVAEError, bundle_to_zip, load_bundle, load_bundle_zip
from textvae.generation import decode_latent


def test_bundle_round_trips_to_identical_outputs(trained):
    bundle, directory, corpus = trained
    loaded = load_bundle(directory)
    z = torch.randn(4, bundle.config.latent_dim)
    assert decode_latent(loaded.model, z) == decode_latent(bundle.model, z)
    for key, value in bundle.model.state_dict().items():
        assert torch.equal(value, loaded.model.state_dict()[key])
    assert loaded.tokenizer.encode(corpus.sentences[0]) == bundle.tokenizer.encode(corpus.sentences[0])
    assert loaded.metrics["valid"]["elbo"] == bundle.metrics["valid"]["elbo"]


def test_bundle_folder_holds_safetensors_and_json(trained):
    _, directory, _ = trained
    assert {p.name for p in directory.iterdir()} >= {
        "model.safetensors",
        "config.json",
        "tokenizer.json",
        "metrics.json",
    }


def test_zip_round_trip(trained):
    bundle, directory, _ = trained
    loaded = load_bundle_zip(bundle_to_zip(directory))
    assert torch.equal(loaded.model.output.weight, bundle.model.output.weight)


def test_a_pickle_is_refused_without_being_unpickled(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "model.pt"
    path.write_bytes(pickle.dumps(Evil(), protocol=4))
    with pytest.raises(TextVAEError, match="pickle"):
        load_bundle(path)
    torch.save({"w": torch.zeros(2)}, tmp_path / "torch.pt")
    with pytest.raises(TextVAEError, match="pickle"):
        load_bundle(tmp_path / "torch.pt")
    assert not marker.exists()
