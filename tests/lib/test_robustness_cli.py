"""Every bad argument, file or bundle given to `python -m textvae` ends in exactly one line
"error: ..." on stderr and a non-zero exit status: never a traceback."""

from __future__ import annotations

import os
import pickle
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from textvae import cli

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "textvae", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def assert_one_error_line(proc: subprocess.CompletedProcess, *fragments: str) -> str:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "internal error" not in lines[0], lines[0]  # a bug, caught by the last-resort handler
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert proc.stdout == ""
    return lines[0]


class _Evil:
    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.fixture(scope="module")
def paths(tmp_path_factory, corpus_file, tiny_bundle_dir) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli-inputs")
    paths = {"corpus": corpus_file, "bundle": tiny_bundle_dir, "folder": folder, "marker": folder / "pwned"}
    paths["png"] = folder / "photo.txt"
    paths["png"].write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(300))
    paths["zip"] = folder / "model.zip"
    paths["zip"].write_bytes(b"PK\x03\x04" + bytes(40))
    paths["pickle"] = folder / "model.pt"
    paths["pickle"].write_bytes(pickle.dumps(_Evil(str(paths["marker"])), protocol=2))
    for name in ("broken", "resumable"):
        paths[name] = folder / name
        paths[name].mkdir()
        for path in tiny_bundle_dir.iterdir():
            (paths[name] / path.name).write_bytes(path.read_bytes())
    (paths["broken"] / "config.json").write_text(
        '{"format": "textvae-bundle", "format_version": 1, "model": {"vocab_size": "lots"}}'
    )
    (paths["resumable"] / "training_state.safetensors").write_bytes(b"not safetensors")
    return paths


# Each case: the command line (names in braces are paths above), extra environment variables, and what the
# one error line must say.
CASES = {
    "unknown option": ("train {corpus} --out {folder}/m --bogus", {}, "unrecognized arguments: --bogus"),
    "no command": ("", {}, "required"),
    "negative epochs": ("train {corpus} --out {folder}/m --epochs -3", {}, "epochs=-3"),
    "word for a number": ("train {corpus} --out {folder}/m --epochs ten", {}, "invalid int value: 'ten'"),
    "unknown preset": ("train {corpus} --out {folder}/m --preset fastest", {}, "invalid choice: 'fastest'"),
    "missing model": ("sample {folder}/no-such-model", {}, "No model bundle at"),
    "truncated zip": ("sample {zip}", {}, "not a valid zip"),
    "broken config": ("reconstruct {broken} sentence", {}, "vocab_size must be a whole number"),
    "pickle model": ("sample {pickle}", {}, "pickle"),
    "binary corpus to train": ("train {png} --out {folder}/m", {}, "PNG image, not text"),
    "binary corpus to evaluate": ("evaluate {bundle} {png} --iw-samples 2", {}, "PNG image, not text"),
    "too few importance samples": ("evaluate {bundle} {corpus} --iw-samples 0", {}, "iw-samples=0"),
    "no samples": ("sample {bundle} -n 0", {}, "-n=0"),
    "zero temperature": ("sample {bundle} -n 3 --temperature 0", {}, "temperature"),
    "empty sentence": ("interpolate {bundle} '' dog", {}, "empty"),
    "out is a file": ("train {corpus} --out {corpus}", {}, "is a file, not a model bundle folder"),
    "out is a foreign folder": ("train {corpus} --out {folder}", {}, "not a model bundle"),
    "out inside a file": ("train {corpus} --out {corpus}/m", {}, "is not a writable folder"),
    "corrupt training state": (
        "train {corpus} --out {resumable} --resume",
        {},
        "training_state.safetensors is corrupt",
    ),
    "bad settings variable": (
        "evaluate {bundle} {corpus}",
        {"TEXTVAE_MAX_UPLOAD_MB": "fifty"},
        "TEXTVAE_MAX_UPLOAD_MB='fifty'",
    ),
    "encode to a non-npy file": ("encode {bundle} {corpus} --out {folder}/z.txt", {}, "--out must end in .npy"),
}


@pytest.fixture(scope="module")
def results(paths) -> dict[str, subprocess.CompletedProcess]:
    """All cases at once, in parallel: each process spends most of its time importing torch."""

    def run(case: str) -> subprocess.CompletedProcess:
        command, env, _ = CASES[case]
        return run_cli(*(arg.format(**paths) for arg in shlex.split(command)), env=env)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(CASES, pool.map(run, CASES), strict=True))


@pytest.mark.parametrize("case", CASES)
def test_a_bad_argument_file_or_bundle_is_one_error_line(results, case):
    assert_one_error_line(results[case], CASES[case][2])


def test_a_pickle_given_as_a_model_is_never_loaded(results, paths):
    assert_one_error_line(results["pickle model"], "pickle")
    assert not paths["marker"].exists()


def test_training_into_a_file_is_refused_before_the_file_is_touched(results, paths):
    assert_one_error_line(results["out is a file"], "not a model bundle folder")
    assert paths["corpus"].is_file() and paths["corpus"].stat().st_size > 0


def test_an_unexpected_exception_is_still_one_line_and_names_itself_a_bug(monkeypatch, capsys):
    def broken(args):
        raise ValueError("something\nunforeseen")

    monkeypatch.setitem(cli.COMMANDS, "sample", broken)
    monkeypatch.delenv("TEXTVAE_DEBUG", raising=False)
    status = cli.main(["sample", "anything"])
    err = capsys.readouterr().err
    assert (
        status != 0
        and err.count("\n") == 1
        and err.startswith("error: internal error (ValueError: something unforeseen)")
    )
    monkeypatch.setenv("TEXTVAE_DEBUG", "1")
    with pytest.raises(ValueError):
        cli.main(["sample", "anything"])


def test_error_messages_with_line_breaks_are_printed_on_one_line(monkeypatch, capsys):
    def refuses(args):
        raise cli.TextVAEError("first\nsecond")

    monkeypatch.setitem(cli.COMMANDS, "sample", refuses)
    assert cli.main(["sample", "anything"]) == 2
    assert capsys.readouterr().err == "error: first second\n"
