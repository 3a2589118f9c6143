"""Tied-weight autoencoders: one weight, two uses, and a gradient that is the sum of both."""
import numpy as np
import pytest

from circuitgrad.autograd import Tensor, gradcheck
from circuitgrad.nn.autoencoder import DenoisingAutoencoder, TiedAutoencoder


def test_tied_weight_gradient_is_the_sum_of_both_uses():
    np.random.seed(0)
    ae = TiedAutoencoder(5, 3)
    x = np.random.rand(4, 5)
    loss = ((ae(x) - Tensor(x)) ** 2).mean()
    loss.backward()
    tied = ae.weight.grad.clone()

    # The same network untied: two copies of the weight, each used once.
    enc = Tensor(ae.weight.data.copy(), requires_grad=True)
    dec = Tensor(ae.weight.data.copy(), requires_grad=True)
    code = (Tensor(x) @ enc.T + ae.encoder_bias.data).sigmoid()
    out = (code @ dec + ae.decoder_bias.data).sigmoid()
    ((out - Tensor(x)) ** 2).mean().backward()
    np.testing.assert_allclose(tied, enc.grad + dec.grad, atol=1e-12)
    assert not np.allclose(enc.grad, 0) and not np.allclose(dec.grad, 0)


def test_tied_autoencoder_gradcheck():
    np.random.seed(1)
    ae = TiedAutoencoder(3, 2, activation="tanh")
    x = Tensor(np.random.rand(2, 3))
    assert gradcheck(lambda w, b: ((ae(x) - x) ** 2).sum(), ae.weight, ae.encoder_bias)


def test_denoising_corrupts_only_in_training():
    np.random.seed(2)
    ae = DenoisingAutoencoder(6, 3, noise="masking", noise_level=0.5)
    x = Tensor(np.ones((200, 6)))
    masked = ae.corrupt(x).data
    assert 0.4 < (masked == 0).mean() < 0.6
    ae.eval()
    np.testing.assert_array_equal(ae(x).data, TiedAutoencoder.forward(ae, x).data)


def test_autoencoder_learns_to_reconstruct():
    np.random.seed(3)
    ae = TiedAutoencoder(8, 3)
    # Data on a 2-dimensional pattern family: a code of 3 can hold it.
    a, b = np.random.rand(64, 1), np.random.rand(64, 1)
    x = Tensor(np.hstack([a, 1 - a, b, 1 - b, a, b, 0.5 * (a + b), 1 - 0.5 * (a + b)]))
    first = None
    for _ in range(1500):
        loss = ((ae(x) - x) ** 2).mean()
        first = first if first is not None else loss.item()
        ae.zero_grad()
        loss.backward()
        for p in ae.parameters():
            p.data -= 2.0 * p.grad
    assert loss.item() < first / 5


def test_bad_autoencoder_input():
    with pytest.raises(ValueError, match=r"TiedAutoencoder: expected input of shape \(batch, 4\), got \(2, 3\)"):
        TiedAutoencoder(4, 2)(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="noise_level 1.5 is out of range for masking"):
        DenoisingAutoencoder(4, 2, noise_level=1.5)
    with pytest.raises(ValueError, match="activation must be one of"):
        TiedAutoencoder(4, 2, activation="softmax")
