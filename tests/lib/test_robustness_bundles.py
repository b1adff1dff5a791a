"""Hostile and broken model bundles: each is refused with TextVAEError naming what is wrong,
before anything large is allocated and without ever unpickling. Saving is atomic."""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import re
import struct
import tracemalloc
import zipfile
from pathlib import Path

import pytest
import torch
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors

from tests.helpers import make_zip, with_config
from textvae import ModelBundle, SentenceVAE, TextVAEError, bundle_to_zip, load_bundle, load_bundle_zip, save_bundle
from textvae.bundle import bundle_from_files
from textvae.safe_files import MAX_FILE_BYTES, read_zip_members


@pytest.fixture(scope="module")
def files(tiny_bundle_dir) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in tiny_bundle_dir.iterdir()}


@pytest.fixture(scope="module")
def zipped(tiny_bundle_dir) -> bytes:
    return bundle_to_zip(tiny_bundle_dir)


def patch_central_directory(data: bytes, offset: int, fmt: str, value: int) -> bytes:
    """Rewrite one field of the (single) central directory record, as a forger would."""
    at = data.rindex(b"PK\x01\x02") + offset
    return data[:at] + struct.pack(fmt, value) + data[at + struct.calcsize(fmt) :]


def test_the_fixture_bundle_loads(tiny_bundle_dir, zipped):
    assert load_bundle(tiny_bundle_dir).name == "tiny" and load_bundle_zip(zipped).name == "tiny"


# ---------------------------------------------------------------- broken zips


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.999])
def test_a_truncated_zip_is_refused(zipped, keep):
    with pytest.raises(TextVAEError, match=r"not a valid zip|corrupted"):
        load_bundle_zip(zipped[: int(len(zipped) * keep)])


def test_a_zip_with_corrupted_bytes_is_refused_wherever_they_are(zipped):
    step = max(1, len(zipped) // 60)
    for position in range(0, len(zipped), step):
        damaged = bytearray(zipped)
        damaged[position] ^= 0xFF
        # refused with a message; loading anyway is fine when the flipped byte was unused (a timestamp)
        with contextlib.suppress(TextVAEError):
            load_bundle_zip(bytes(damaged))


@pytest.mark.parametrize(
    "name",
    [
        "../config.json",
        "../../etc/config.json",
        "/config.json",
        "/tmp/config.json",
        "..\\config.json",
        "C:/config.json",
        "bundle/../../config.json",
    ],
)
def test_a_zip_entry_escaping_the_folder_is_refused(files, name):
    with pytest.raises(TextVAEError, match="outside the bundle folder"):
        load_bundle_zip(
            make_zip({**{k: v for k, v in files.items() if k != "config.json"}, name: files["config.json"]})
        )


def test_a_bundle_zipped_inside_a_folder_loads(files):
    assert load_bundle_zip(make_zip({f"my-model/{k}": v for k, v in files.items()})).name == "tiny"


def test_a_zip_holding_a_file_twice_is_refused(files):
    with pytest.raises(TextVAEError, match=re.escape("config.json twice")):
        load_bundle_zip(make_zip({**files, "copy/config.json": files["config.json"]}))


def test_a_zip_with_unexpected_files_is_refused(files):
    with pytest.raises(TextVAEError, match=re.escape("Unexpected file 'run.sh'")):
        load_bundle_zip(make_zip({**files, "run.sh": b"rm -rf /"}))
    with pytest.raises(TextVAEError, match="entries"):
        load_bundle_zip(make_zip({f"dir{i}/": b"" for i in range(30)}))


def test_a_600mb_zip_bomb_is_refused_without_unpacking(tmp_path):
    bomb = tmp_path / "bomb.zip"
    with (
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf,
        zf.open("model.safetensors", "w", force_zip64=True) as member,
    ):
        zeros = bytes(2**20)
        for _ in range(600):  # streamed: the 600 MB never exist in memory
            member.write(zeros)
    assert bomb.stat().st_size < 2 * 2**20
    tracemalloc.start()
    try:
        with pytest.raises(TextVAEError, match="zip bomb"):
            load_bundle(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20


def test_a_zip_that_understates_its_unpacked_size_is_refused(files):
    data = make_zip({"metrics.json": os.urandom(40_000).hex().encode()})
    forged = patch_central_directory(data, 24, "<I", 100)  # claims 100 bytes, holds 80 kB
    with pytest.raises(TextVAEError, match="corrupted"):
        read_zip_members(forged)


def test_an_encrypted_zip_entry_is_refused_with_advice(files):
    forged = patch_central_directory(make_zip({"config.json": files["config.json"]}), 8, "<H", 0x1)
    with pytest.raises(TextVAEError, match="encrypted"):
        read_zip_members(forged)


def test_an_unknown_compression_method_is_refused(files):
    forged = patch_central_directory(make_zip({"config.json": files["config.json"]}), 10, "<H", 97)
    with pytest.raises(TextVAEError, match="compression method"):
        read_zip_members(forged)


def test_a_text_file_given_as_a_model_is_refused(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello\n")
    with pytest.raises(TextVAEError, match="not a model bundle"):
        load_bundle(path)
    with pytest.raises(TextVAEError, match="No model bundle"):
        load_bundle(tmp_path / "missing")


# ---------------------------------------------------------------- pickles are refused unopened


class Evil:
    """Unpickling this creates the marker file: the proof that a pickle was loaded."""

    marker: Path

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.fixture
def no_unpickling(monkeypatch):
    """Any attempt to unpickle fails the test loudly (not with TextVAEError)."""

    def forbidden(*args, **kwargs):
        raise AssertionError("something was unpickled")

    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "Unpickler", forbidden)
    monkeypatch.setattr(torch, "load", forbidden)


def evil_pickle(marker: Path, protocol: int) -> bytes:
    evil = Evil()
    evil.marker = marker
    return pickle.dumps(evil, protocol=protocol)


@pytest.mark.parametrize("protocol", [0, 1, 2, 3, 4, 5])
def test_a_pickle_given_directly_is_refused_without_being_unpickled(tmp_path, no_unpickling, protocol):
    marker = tmp_path / "pwned"
    payload = evil_pickle(marker, protocol)
    (tmp_path / "model.pt").write_bytes(payload)
    with pytest.raises(TextVAEError, match="pickle"):
        load_bundle(tmp_path / "model.pt")
    with pytest.raises(TextVAEError, match="pickle"):
        load_bundle_zip(payload)
    assert not marker.exists()


def test_a_torch_save_file_is_refused_without_being_unpickled(tmp_path, no_unpickling):
    marker = tmp_path / "pwned"
    evil = Evil()
    evil.marker = marker
    for legacy in (False, True):
        path = tmp_path / f"checkpoint-{legacy}.pt"
        torch.save({"w": torch.zeros(2), "evil": evil}, path, _use_new_zipfile_serialization=not legacy)
        with pytest.raises(TextVAEError, match="pickle"):
            load_bundle(path)
        with pytest.raises(TextVAEError, match="pickle"):
            load_bundle_zip(path.read_bytes())
    assert not marker.exists()


@pytest.mark.parametrize("protocol", [0, 2, 4])
def test_a_pickle_inside_a_bundle_is_refused_without_being_unpickled(tmp_path, files, no_unpickling, protocol):
    marker = tmp_path / "pwned"
    payload = evil_pickle(marker, protocol)
    with pytest.raises(TextVAEError, match="pickle"):
        load_bundle_zip(make_zip({**files, "model.safetensors": payload}))
    with pytest.raises(TextVAEError, match="pickle"):
        load_bundle_zip(make_zip({**files, "model.pt": payload}))
    with pytest.raises(TextVAEError, match="pickle"):
        bundle_from_files({**files, "model.safetensors": payload})
    folder = tmp_path / "bundle"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / "model.pt").write_bytes(payload)
    with pytest.raises(TextVAEError, match="pickle"):
        load_bundle(folder)
    assert not marker.exists()


def test_safetensors_whose_header_length_starts_like_a_pickle_still_load(files):
    """A header of 640, 896, 1152 or 1408 bytes (mod 65536) writes b"\x80\x02".."\x80\x05" first, like a pickle."""
    weights = load_safetensors(files["model.safetensors"])
    unpadded = int.from_bytes(save_safetensors(weights, metadata={"pad": ""})[:8], "little")
    target = next(t for t in (640, 896, 1152, 1408, 65536 + 640) if t >= unpadded + 16)
    for pad in range(target - unpadded - 16, target - unpadded + 16):
        data = save_safetensors(weights, metadata={"pad": "x" * pad})
        if data[:2] in (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05"):
            break
    else:
        pytest.fail("no padding gave a pickle-like header length")
    assert bundle_from_files({**files, "model.safetensors": data}).name == "tiny"


# ---------------------------------------------------------------- weights and config that disagree


def test_weights_whose_shapes_do_not_match_the_config_are_refused(files):
    with pytest.raises(TextVAEError, match=r"Weight .* has shape .* but config.json implies"):
        bundle_from_files(with_config(files, hidden_dim=32))


def test_weights_with_missing_or_extra_tensors_are_refused(files):
    weights = load_safetensors(files["model.safetensors"])
    weights["backdoor.weight"] = torch.zeros(2)
    del weights["output.bias"]
    with pytest.raises(TextVAEError, match=re.escape("missing: output.bias; unexpected: backdoor.weight")):
        bundle_from_files({**files, "model.safetensors": save_safetensors(weights)})


@pytest.mark.parametrize(
    "changes",
    [
        dict(vocab_size=10**9),
        dict(hidden_dim=10**6),
        dict(vocab_size=10**9, hidden_dim=10**6, embed_dim=10**5),
        dict(vocab_size=200_000, embed_dim=2048, hidden_dim=2048),
    ],
)
def test_an_absurdly_large_config_is_refused_before_any_allocation(files, monkeypatch, changes):
    monkeypatch.setattr(SentenceVAE, "__init__", lambda *a, **k: pytest.fail("the model was built"))
    tracemalloc.start()
    try:
        with pytest.raises(TextVAEError, match=r"outside|parameters"):
            bundle_from_files(with_config(files, **changes))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20


def test_a_tokenizer_whose_size_disagrees_with_the_model_is_refused(files):
    with pytest.raises(TextVAEError, match=r"tokenizer has .* tokens but the model expects 150"):
        bundle_from_files(with_config(files, vocab_size=150))


def test_a_tokenizer_with_gaps_in_its_ids_is_refused(files):
    tokenizer = json.loads(files["tokenizer.json"])
    tokenizer["model"]["vocab"]["zzz"] = 10_000
    with pytest.raises(TextVAEError, match="no token for id"):
        bundle_from_files({**files, "tokenizer.json": json.dumps(tokenizer).encode()})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "config.json is not valid JSON"),
        (b"\xff\xfe\x00", "config.json is not valid JSON"),
        (b"[1, 2, 3]", "must hold a JSON object"),
        (b'"a string"', "must hold a JSON object"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (
            b'{"format": "textvae-bundle", "format_version": 1, "model": {"vocab_size": ' + b"9" * 5000 + b"}}",
            "not valid JSON",
        ),
        (b'{"format": "textvae-bundle", "format_version": 1}', 'no "model" object'),
        (b'{"format": "something-else", "format_version": 1, "model": {}}', "not a textvae bundle config"),
        (b'{"format": "textvae-bundle", "format_version": 99, "model": {}}', "version 99 is not supported"),
    ],
)
def test_a_broken_config_json_is_refused_naming_the_problem(files, content, message):
    with pytest.raises(TextVAEError, match=message):
        bundle_from_files({**files, "config.json": content})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (dict(evil=1), "Unknown model settings: evil"),
        (dict(hidden_dim="16"), "hidden_dim must be a whole number, not '16'"),
        (dict(hidden_dim=16.0), "hidden_dim must be a whole number"),
        (dict(vocab_size=None), "vocab_size must be a whole number"),
        (dict(word_dropout="0.1"), "word_dropout must be a number"),
        (dict(bn_vae="false"), "bn_vae must be true or false"),
        (dict(rnn=["gru"]), "rnn must be text"),
        (dict(latent_dim=[4]), "latent_dim must be a whole number"),
    ],
)
def test_config_json_with_unknown_keys_or_wrong_types_is_refused(files, changes, message):
    with pytest.raises(TextVAEError, match=message):
        bundle_from_files(with_config(files, **changes))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_weights_with_nan_or_infinity_are_refused(files, bad):
    weights = load_safetensors(files["model.safetensors"])
    weights["output.weight"] = weights["output.weight"].clone()
    weights["output.weight"][3, 2] = bad
    with pytest.raises(TextVAEError, match=re.escape("output.weight contains NaN or infinite values")):
        bundle_from_files({**files, "model.safetensors": save_safetensors(weights)})


def test_weights_of_the_wrong_kind_of_number_are_refused(files):
    weights = load_safetensors(files["model.safetensors"])
    weights["output.bias"] = torch.zeros_like(weights["output.bias"], dtype=torch.int32)
    with pytest.raises(TextVAEError, match=re.escape("output.bias is stored as int32")):
        bundle_from_files({**files, "model.safetensors": save_safetensors(weights)})


def test_float64_weights_too_large_for_float32_are_refused(files):
    weights = {k: v.double() for k, v in load_safetensors(files["model.safetensors"]).items()}
    weights["output.bias"][0] = 1e300
    with pytest.raises(TextVAEError, match="infinite"):
        bundle_from_files({**files, "model.safetensors": save_safetensors(weights)})


@pytest.mark.parametrize(
    "content", [b"", b"garbage", b"\x10" + bytes(7) + b"{}" + bytes(14), (2**62).to_bytes(8, "little") + b"{}"]
)
def test_a_corrupt_safetensors_file_is_refused(files, content):
    with pytest.raises(TextVAEError, match=re.escape("model.safetensors")):
        bundle_from_files({**files, "model.safetensors": content})


def test_a_broken_metrics_or_missing_file_is_refused(files):
    with pytest.raises(TextVAEError, match=re.escape("metrics.json is not valid JSON")):
        bundle_from_files({**files, "metrics.json": b"nah"})
    with pytest.raises(TextVAEError, match=re.escape("missing tokenizer.json")):
        bundle_from_files({k: v for k, v in files.items() if k != "tokenizer.json"})
    with pytest.raises(TextVAEError, match="file contents"):
        bundle_from_files({**files, "config.json": "text, not bytes"})


def test_an_oversized_file_in_a_folder_is_refused_before_it_is_read(tiny_bundle_dir, tmp_path, monkeypatch):
    folder = tmp_path / "bundle"
    folder.mkdir()
    for path in tiny_bundle_dir.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    with open(folder / "metrics.json", "r+b") as handle:
        handle.truncate(MAX_FILE_BYTES["metrics.json"] + 1)  # sparse
    with pytest.raises(TextVAEError, match=r"metrics.json is .* MB, over the"):
        load_bundle(folder)


# ---------------------------------------------------------------- saving


def _copy(bundle_dir: Path, to: Path) -> Path:
    to.mkdir()
    for path in bundle_dir.iterdir():
        (to / path.name).write_bytes(path.read_bytes())
    return to


def test_a_crash_mid_save_leaves_the_previous_bundle_intact(tiny_bundle_dir, tmp_path, monkeypatch):
    target = _copy(tiny_bundle_dir, tmp_path / "model")
    previous = load_bundle(target)
    replacement = ModelBundle(previous.model, previous.tokenizer, {"name": "replacement"})
    real_write_text = Path.write_text

    def crash_on_tokenizer(self, *args, **kwargs):
        if self.name == "tokenizer.json":
            raise OSError(28, "No space left on device")
        return real_write_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", crash_on_tokenizer)
    with pytest.raises(OSError, match="No space left"):
        save_bundle(replacement, target)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # no temporary or half-written folder left
    assert load_bundle(target).name == "tiny"


def test_a_crash_while_swapping_folders_puts_the_previous_bundle_back(tiny_bundle_dir, tmp_path, monkeypatch):
    target = _copy(tiny_bundle_dir, tmp_path / "model")
    previous = load_bundle(target)
    real_rename = Path.rename

    def crash_on_second_rename(self, destination):
        if Path(destination).name == "model" and self.name.startswith(".model.") and "old" not in self.name:
            raise OSError(5, "I/O error")
        return real_rename(self, destination)

    monkeypatch.setattr(Path, "rename", crash_on_second_rename)
    with pytest.raises(OSError):
        save_bundle(ModelBundle(previous.model, previous.tokenizer, {"name": "new"}), target)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    assert load_bundle(target).name == "tiny"


def test_saving_over_a_bundle_replaces_it(tiny_bundle_dir, tmp_path):
    target = _copy(tiny_bundle_dir, tmp_path / "model")
    previous = load_bundle(target)
    save_bundle(ModelBundle(previous.model, previous.tokenizer, {"name": "second"}), target)
    assert load_bundle(target).name == "second" and sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_saving_never_overwrites_a_file_or_a_folder_that_is_not_a_bundle(tiny_bundle_dir, tmp_path):
    bundle = load_bundle(tiny_bundle_dir)
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("precious")
    with pytest.raises(TextVAEError, match="is a file, not a model bundle folder"):
        save_bundle(bundle, corpus)
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "thesis.tex").write_text("precious")
    with pytest.raises(TextVAEError, match=r"not a model bundle .*thesis.tex"):
        save_bundle(bundle, documents)
    assert corpus.read_text() == "precious" and (documents / "thesis.tex").read_text() == "precious"
