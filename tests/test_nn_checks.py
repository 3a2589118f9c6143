"""nn.checks: the shared argument checks (numbers, whole numbers, flags), with numpy scalars."""
import numpy as np
import pytest

from circuitgrad.nn.checks import flag, integer, real


def test_numbers_whole_numbers_and_flags_accept_numpy_scalars():
    assert real("SGD", "lr", np.float64(0.5), low=0) == 0.5 and type(real("SGD", "lr", 1, low=0)) is float
    assert integer("fit", "epochs", np.int64(3), low=1) == 3
    assert flag("SGD", "nesterov", np.True_) is True and flag("SGD", "nesterov", False) is False


@pytest.mark.parametrize("call, error, match", [
    (lambda: real("SGD", "lr", True), TypeError, "SGD: lr must be a number, got bool True"),
    (lambda: real("SGD", "lr", "0.1"), TypeError, "SGD: lr must be a number, got str '0.1'"),
    (lambda: real("SGD", "lr", 1 + 2j), TypeError, "must be a number, got complex"),
    (lambda: real("SGD", "lr", float("nan")), ValueError, "SGD: lr must be a finite number, got nan"),
    (lambda: real("SGD", "lr", float("inf"), low=0), ValueError, "finite"),
    (lambda: real("SGD", "lr", -1, low=0), ValueError, r"SGD: lr must be >= 0, got -1.0"),
    (lambda: real("Linear", "scale", 0, low=0, low_open=True), ValueError, r"scale must be > 0, got 0.0"),
    (lambda: real("x", "y", 2, high=1), ValueError, r"y must be <= 1, got 2.0"),
    (lambda: real("Dropout", "p", 1.0, low=0, high=1, high_open=True), ValueError, r"in \[0, 1\), got 1.0"),
    (lambda: real("Adam", "beta", 0.0, low=0, high=1, low_open=True), ValueError, r"in \(0, 1\]"),
    (lambda: integer("fit", "epochs", 2.0), TypeError, "fit: epochs must be a whole number, got float 2.0"),
    (lambda: integer("fit", "epochs", 0, low=1), ValueError, "fit: epochs must be at least 1, got 0"),
    (lambda: flag("SGD", "nesterov", "no"), TypeError, "SGD: nesterov must be True or False, got str 'no'"),
    (lambda: flag("SGD", "nesterov", 1), TypeError, "True or False"),
])
def test_each_check_names_owner_argument_and_value(call, error, match):
    with pytest.raises(error, match=match):
        call()
