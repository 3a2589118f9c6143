"""circuitgrad's neural-network kit, shaped like `torch.nn` so what you learn here carries over.

    import numpy as np
    from circuitgrad import nn
    np.random.seed(0)
    model = nn.Sequential(nn.Linear(2, 10), nn.Sigmoid(), nn.Linear(10, 1), nn.Sigmoid())
    X, y = nn.data.xor()
    history = nn.fit(model, nn.BCELoss(), nn.optim.SGD(model.parameters(), lr=1.0), (X, y), epochs=2000)

Scalar networks on `Value` (small enough to draw): `Neuron`, `Layer`, `MLP`, `Perceptron`.
Layers on `Tensor`: `Linear`, activations (from Sigmoid to GELU and Hardswish), `Dropout`,
`BatchNorm1d`, `LayerNorm`, `RMSNorm`, `Sequential`, recurrent cells and layers, `Embedding`, `MultiheadAttention`,
tied-weight autoencoders; for images `Conv2d`, `Conv1d`, `ConvTranspose2d`, `MaxPool2d`,
`AvgPool2d`, `AdaptiveAvgPool2d`, `BatchNorm2d`, `Dropout2d`, `Flatten`, and the regularizers
`DropConnect` and `DisturbLabel`. Losses, `nn.optim` (optimizers and lr schedulers), `nn.init`,
`nn.functional`, `nn.explain` (saliency, integrated gradients, Grad-CAM, CAM, activation
maximization, feature maps), module hooks (`register_forward_hook`), `nn.data` (`Dataset`,
`DataLoader`, samplers, splits), `nn.datasets` (generated sets, shapes, digits), `nn.text` (names
and a character tokenizer), `nn.transforms` (image augmentation, DisturbLabel), `nn.utils`
(gradient clipping), `fit`, `save`/`load`, and `to_torch`/`from_torch` to cross to PyTorch and back.
"""

if __name__ == "nn":  # this folder imported as a top-level package, e.g. from the repository root
    raise ImportError("circuitgrad's nn folder was imported as 'nn'; import it as "
                      "'circuitgrad.nn' (PyPI has unrelated top-level packages of that name)")

from . import data, datasets, functional, init, lr_scheduler, optim, text, transforms, utils  # noqa: F401
from .activations import (CELU, ELU, GELU, Hardsigmoid, Hardswish, Hardtanh, Mish, ReLU6, SiLU, Softplus,
                          Softsign)
from .attention import MultiheadAttention
from .autoencoder import DenoisingAutoencoder, TiedAutoencoder
from .containers import ModuleList, Sequential
from .embedding import Embedding
from .layers import (SELU, Flatten, Identity, LeakyReLU, Linear, LogSoftmax, ReLU, Sigmoid, Softmax, Step,
                     Tanh)
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .module import Module, Parameter, trace_modules
from .normalization import LayerNorm, RMSNorm
from . import explain, hooks  # noqa: F401
from .hooks import RemovableHandle, register_module_forward_hook, register_module_forward_pre_hook
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .conv import Conv1d, Conv2d, ConvTranspose2d
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .regularization import BatchNorm1d, BatchNorm2d, DropConnect, Dropout, Dropout2d
from .scalar import MLP, Layer, Neuron, Perceptron
from .serialization import load, save
from .torch_bridge import from_torch, to_torch
from .train import EarlyStopping, History, evaluate, fit
from .transforms import DisturbLabel

__all__ = [
    "Module", "Parameter", "Sequential", "ModuleList", "trace_modules",
    "register_module_forward_pre_hook", "register_module_forward_hook", "RemovableHandle", "explain", "hooks",
    "Neuron", "Layer", "MLP", "Perceptron",
    "Linear", "Identity", "Flatten", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "SELU", "Step", "Softmax",
    "LogSoftmax", "GELU", "ELU", "CELU", "SiLU", "Mish", "Softplus", "Softsign", "ReLU6", "Hardtanh",
    "Hardsigmoid", "Hardswish", "Dropout", "BatchNorm1d", "LayerNorm", "RMSNorm", "DropConnect", "DisturbLabel",
    "Conv2d", "Conv1d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "BatchNorm2d", "Dropout2d",
    "RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU", "Embedding", "MultiheadAttention",
    "TiedAutoencoder", "DenoisingAutoencoder",
    "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss",
    "fit", "evaluate", "EarlyStopping", "History", "save", "load", "to_torch", "from_torch",
    "data", "datasets", "text", "transforms", "functional", "init", "optim", "lr_scheduler", "utils",
]
