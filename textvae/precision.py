"""The floating-point precision a training runs in: bf16 autocast where the hardware runs it natively, else fp32.

bf16 on a CPU without AVX512-BF16 or AMX is emulated (oneDNN converts every operand), which made this model's
training about 100x slower than fp32 on an AMD EPYC without AVX-512; on a CPU with AMX it is 1.4x faster.
So "auto" (the default of the app and the command line) picks bf16 only where it is native, and says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported lazily: the configs name PRECISIONS and must not import torch
    import torch

PRECISIONS = ("auto", "fp32", "bf16")
NATIVE_BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")  # /proc/cpuinfo flags of CPUs with bf16 instructions
MIN_BF16_CUDA_CAPABILITY = (8, 0)  # Ampere and later have bf16 tensor cores


@dataclass(frozen=True)
class Precision:
    name: str  # "fp32" or "bf16"
    why: str  # one phrase for the log and the app: "this CPU has AMX"

    def describe(self) -> str:
        return f"{self.name} ({self.why})"


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The CPU's feature flags (Linux); empty where /proc/cpuinfo is not there (macOS, Windows)."""
    try:
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def native_bf16(device: torch.device, flags: set[str] | None = None) -> tuple[bool, str]:
    """Whether ``device`` runs bf16 arithmetic natively, and the reason in a few words."""
    if device.type == "cuda":
        import torch

        major, minor = torch.cuda.get_device_capability(device)
        if (major, minor) >= MIN_BF16_CUDA_CAPABILITY:
            return True, f"GPU compute capability {major}.{minor} has bf16"
        return False, f"GPU compute capability {major}.{minor} has no bf16"
    have = [f for f in NATIVE_BF16_CPU_FLAGS if f in (cpu_flags() if flags is None else flags)]
    if have:
        return True, f"this CPU has {' and '.join(have)}"
    return False, "this CPU has no native bf16"


def resolve_precision(asked: str, device: torch.device, flags: set[str] | None = None) -> Precision:
    """The precision to train in: ``asked`` if it is fp32 or bf16, else what the hardware runs fastest."""
    if asked not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {asked!r}")
    if asked != "auto":
        return Precision(asked, "asked for")
    native, why = native_bf16(device, flags)
    return Precision("bf16" if native else "fp32", f"auto: {why}")
