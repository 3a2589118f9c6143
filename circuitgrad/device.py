"""`cg.device("cpu")`, PyTorch's device object, for code that moves models and data with `.to(device)`.
Only the CPU exists here (circuitgrad computes with numpy); another device is a ValueError."""
from __future__ import annotations

from typing import Any, Optional

from .autograd.checks import cpu


class device:  # noqa: N801  (PyTorch's name, torch.device)
    """A device: `type` is "cpu". `str(device("cpu"))` is "cpu", and it equals the string "cpu"."""

    __slots__ = ("type", "index")

    def __init__(self, type: Any, index: Optional[int] = None) -> None:
        cpu("device", type)
        self.type = "cpu"
        self.index = index

    def __str__(self) -> str:
        return "cpu"

    def __repr__(self) -> str:
        return "device(type='cpu')"

    def __eq__(self, other: Any) -> bool:
        return str(other) == "cpu" if isinstance(other, (str, device)) else NotImplemented

    def __hash__(self) -> int:
        return hash("cpu")
