import os
import subprocess
import sys


def _run(code: str, env: dict[str, str]) -> list[str]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_importing_textvae_turns_mkl_buffer_cache_off_before_torch_loads():
    env = {k: v for k, v in os.environ.items() if k != "MKL_DISABLE_FAST_MM"}
    code = "import os, sys, textvae; print(os.environ.get('MKL_DISABLE_FAST_MM'), 'torch' in sys.modules)"
    assert _run(code, env) == ["1", "False"]  # set while torch (and MKL with it) is not loaded yet


def test_a_value_already_set_is_kept():
    code = "import os, textvae; print(os.environ['MKL_DISABLE_FAST_MM'])"
    assert _run(code, {**os.environ, "MKL_DISABLE_FAST_MM": "0"}) == ["0"]
