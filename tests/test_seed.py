"""`cg.manual_seed(n)` as learners seed PyTorch (issue 22, item 5): one call before a run makes every
draw repeat, the factories, nn.init and the layers' weights, dropout and DataLoader shuffling;
numpy's global seed is the same state, so whichever of the two is called last wins."""
from __future__ import annotations

import numpy as np
import pytest

import circuitgrad as cg
from circuitgrad import nn


@pytest.fixture(autouse=True)
def _numpy_state_restored():
    """These tests reseed numpy's global state; give the tests after them the state they had."""
    state = np.random.get_state()
    yield
    np.random.set_state(state)


def a_run() -> dict:
    """Everything random a short training script touches, in the order a tutorial touches it."""
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4, 1))
    weight = cg.zeros(2, 5)
    nn.init.xavier_normal_(weight)
    X, y = np.arange(30.0).reshape(10, 3), np.arange(10.0)
    loader = nn.data.DataLoader(nn.data.TensorDataset(X, y), batch_size=4, shuffle=True)
    return {
        "factories": [cg.rand(3).data, cg.randn(2, 2).data, cg.randint(0, 10, (5,)).data, cg.randperm(6).data,
                      cg.rand_like(cg.zeros(2)).data, cg.randn_like(cg.zeros(2)).data,
                      cg.randint_like(cg.zeros(3), 7).data],
        "weights": [p.data.copy() for p in model.parameters()] + [weight.data],
        "dropout": model(cg.ones(4, 3)).data,
        "functional dropout": nn.functional.dropout(cg.ones(8), 0.5).data,
        "shuffled labels": [batch[1].data.tolist() for batch in loader],
    }


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        for x, y in zip(a[key] if isinstance(a[key], list) else [a[key]],
                        b[key] if isinstance(b[key], list) else [b[key]]):
            assert np.array_equal(np.asarray(x), np.asarray(y)), key


def test_manual_seed_repeats_factories_init_dropout_and_shuffling():
    cg.manual_seed(777)
    first = a_run()
    cg.manual_seed(777)
    assert_same(first, a_run())
    cg.manual_seed(778)
    other = a_run()
    assert not np.array_equal(first["weights"][0], other["weights"][0])
    assert first["shuffled labels"] != other["shuffled labels"] or \
        not np.array_equal(first["dropout"], other["dropout"])


def test_numpy_global_seed_is_the_same_state_and_the_later_call_wins():
    np.random.seed(5)
    by_numpy = a_run()
    cg.manual_seed(5)
    assert_same(by_numpy, a_run())  # for n < 2**32 manual_seed(n) is np.random.seed(n)
    np.random.seed(1)
    cg.manual_seed(5)
    assert_same(by_numpy, a_run())  # manual_seed came last
    cg.manual_seed(1)
    np.random.seed(5)
    assert_same(by_numpy, a_run())  # numpy's seed came last


def test_manual_seed_is_exposed_at_both_levels():
    assert cg.manual_seed is cg.autograd.manual_seed
    assert {"manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state", "randint", "randperm"} <= \
        set(cg.__all__) & set(cg.autograd.__all__)


def test_initial_seed_and_seed():
    cg.manual_seed(2 ** 40 + 3)  # beyond 32 bits, as PyTorch allows
    assert cg.initial_seed() == 2 ** 40 + 3
    big = cg.rand(4).data
    cg.manual_seed(-1)
    assert cg.initial_seed() == 2 ** 64 - 1
    fresh = cg.seed()
    assert isinstance(fresh, int) and 0 <= fresh < 2 ** 64 and cg.initial_seed() == fresh
    drawn = cg.rand(4).data
    cg.manual_seed(fresh)
    assert np.array_equal(cg.rand(4).data, drawn)
    cg.manual_seed(2 ** 40 + 3)
    assert np.array_equal(cg.rand(4).data, big)


def test_get_and_set_rng_state_return_to_a_point():
    cg.manual_seed(0)
    cg.rand(3)
    state = cg.get_rng_state()
    after = a_run()
    cg.rand(10)
    cg.set_rng_state(state)
    assert_same(after, a_run())


def test_a_generator_of_its_own_is_not_touched_by_the_seed():
    a = cg.rand(3, generator=np.random.default_rng(4)).data
    cg.manual_seed(0)
    assert np.array_equal(cg.rand(3, generator=np.random.default_rng(4)).data, a)
    assert np.array_equal(cg.randint(0, 5, (3,), generator=4).data, cg.randint(0, 5, (3,), generator=4).data)
    assert np.array_equal(np.sort(cg.randperm(5, generator=np.random.default_rng(1)).data), np.arange(5))


def test_randint_and_randperm_follow_pytorch_arguments():
    cg.manual_seed(3)
    x = cg.randint(3, 5, (200,))
    assert isinstance(x, cg.Tensor) and isinstance(cg.randperm(3), cg.Tensor)  # LongTensors, as PyTorch's
    assert x.dtype == np.int64 and x.shape == (200,) and set(x.tolist()) == {3, 4}
    assert set(cg.randint(2, (50,)).tolist()) == {0, 1}  # randint(high, size) starts at 0
    assert sorted(cg.randperm(7).tolist()) == list(range(7))
    like = cg.randint_like(cg.zeros(2, 3, dtype=np.float32), 1, 4)
    assert like.dtype == np.float32 and like.shape == (2, 3) and set(np.unique(like.data)) <= {1.0, 2.0, 3.0}


@pytest.mark.parametrize("bad, error, message", [
    (1.5, TypeError, "seed must be an int"), (True, TypeError, "seed must be an int"),
    ("7", TypeError, "seed must be an int"), (2 ** 64, ValueError, r"seed must be in \[-2\*\*63, 2\*\*64\)"),
    (-2 ** 63 - 1, ValueError, "seed must be in"),
])
def test_manual_seed_refuses_what_pytorch_refuses(bad, error, message):
    with pytest.raises(error, match=message):
        cg.manual_seed(bad)


def test_bad_state_and_factory_arguments_raise():
    with pytest.raises(TypeError, match="set_rng_state: expected the tuple get_rng_state"):
        cg.set_rng_state([1, 2])
    with pytest.raises(ValueError, match=r"randint: high \(2\) must be above low \(5\)"):
        cg.randint(5, 2, (3,))
    with pytest.raises(TypeError, match="randint: give the size"):
        cg.randint(5)
    with pytest.raises(TypeError, match="randint: dtype must be an integer dtype"):
        cg.randint(0, 5, (2,), dtype=np.float32)
    with pytest.raises(ValueError, match="randperm: sizes must be >= 0"):
        cg.randperm(-1)
    with pytest.raises(TypeError, match="randperm: sizes must be ints"):
        cg.randperm(2.5)


def test_multinomial_draws_as_pytorch_does():
    """torch.multinomial's shapes, dtype and rules; frequencies follow the weights; seeded, it repeats."""
    cg.manual_seed(11)
    weights = cg.tensor([1.0, 0.0, 3.0, 4.0])
    draws = cg.multinomial(weights, 20000, replacement=True)
    assert isinstance(draws, cg.Tensor) and draws.dtype == np.int64 and draws.shape == (20000,)
    np.testing.assert_allclose(np.bincount(draws.data, minlength=4) / 20000, [0.125, 0.0, 0.375, 0.5], atol=0.015)
    rows = cg.multinomial(cg.tensor([[1.0, 1.0, 1.0], [0.0, 2.0, 5.0]]), 2)  # without replacement: distinct
    assert rows.shape == (2, 2) and all(len(set(r)) == 2 for r in rows.data.tolist())
    assert set(rows.data[1].tolist()) == {1, 2}  # a weight of 0 is never drawn
    cg.manual_seed(5)
    a = cg.multinomial(weights, 6, replacement=True).data
    cg.manual_seed(5)
    assert np.array_equal(a, cg.multinomial(weights, 6, replacement=True).data)
    assert np.array_equal(cg.multinomial(weights, 3, generator=7).data, cg.multinomial(weights, 3, generator=7).data)


@pytest.mark.parametrize("weights, n, kwargs, words", [
    ([0.5, -0.1], 1, {}, "weights must be finite and >= 0"),
    ([0.0, 0.0], 1, {}, "a row of weights sums to 0"),
    ([1.0, 0.0, 2.0], 3, {}, "3 samples without replacement, but a row has only 2 nonzero weights"),
    ([1.0, 2.0], 0, {}, "num_samples must be an int >= 1, got 0"),
    ([[[1.0]]], 1, {}, r"input must be weights of shape \(k,\) or \(n, k\), got shape \(1, 1, 1\)"),
])
def test_multinomial_refuses_what_pytorch_refuses(weights, n, kwargs, words):
    with pytest.raises(ValueError, match=words):
        cg.multinomial(cg.tensor(weights), n, **kwargs)
