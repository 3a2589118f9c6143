"""`cg.cuda`: what PyTorch tutorials ask before choosing a device. circuitgrad computes with numpy
on the CPU, so there is no GPU: `device = "cuda" if cg.cuda.is_available() else "cpu"` picks "cpu"."""
from __future__ import annotations


def is_available() -> bool:
    """False: circuitgrad has no GPU backend."""
    return False


def device_count() -> int:
    """0: no GPU."""
    return 0


__all__ = ["is_available", "device_count"]
