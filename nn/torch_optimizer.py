"""Move an optimizer to PyTorch with its state: the next PyTorch step is the step circuitgrad would take.

`opt.to_torch(torch_model.parameters())` (nn.optim) calls `optimizer_to_torch`; the model itself
crosses with `nn.to_torch` (nn.torch_bridge). PyTorch is imported only inside the function.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .torch_bridge import _torch

__all__ = ["optimizer_to_torch"]


def optimizer_to_torch(optimizer: Any, params: Any) -> Any:
    """The same optimizer in PyTorch over `params` (e.g. `torch_model.parameters()`), with its
    hyperparameters and state (momentum buffers, moments, step counts), so the next PyTorch step
    is the step circuitgrad would have taken. Raises ValueError if the parameters do not match."""
    torch = _torch("optimizer.to_torch")
    params = list(params)
    name = type(optimizer).__name__
    ours = [p for g in optimizer.param_groups for p in g["params"]]
    if len(params) != len(ours):
        raise ValueError(f"{name}.to_torch: got {len(params)} PyTorch parameters for this optimizer's {len(ours)}")
    for i, (p, q) in enumerate(zip(ours, params)):
        if tuple(np.shape(p.data)) != tuple(q.shape):
            raise ValueError(f"{name}.to_torch: parameter {i} has shape {np.shape(p.data)} here and "
                             f"{tuple(q.shape)} in PyTorch")
    groups, start = [], 0
    for g in optimizer.param_groups:
        n = len(g["params"])
        groups.append({**{k: v for k, v in g.items() if k != "params"}, "params": params[start:start + n]})
        start += n
    out = getattr(torch.optim, name)(groups)
    saved = optimizer.state_dict()
    state = {i: {k: torch.tensor(float(v)) if k == "step" else torch.from_numpy(np.array(v, order="C"))
                 for k, v in s.items()} for i, s in saved["state"].items()}
    out.load_state_dict({"state": state, "param_groups": [{**t, **{k: v for k, v in o.items() if k != "params"}}
                                                          for t, o in zip(out.state_dict()["param_groups"],
                                                                          saved["param_groups"])]})
    return out
