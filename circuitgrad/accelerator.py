"""`cg.accelerator`: the device question of PyTorch's newer tutorials
(`torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"`).
circuitgrad computes with numpy on the CPU: there is no accelerator."""
from __future__ import annotations

from typing import Any


def is_available() -> bool:
    """False: circuitgrad has no accelerator."""
    return False


def current_accelerator() -> Any:
    """None, as PyTorch's when no accelerator is present."""
    return None


def device_count() -> int:
    return 0


__all__ = ["is_available", "current_accelerator", "device_count"]
