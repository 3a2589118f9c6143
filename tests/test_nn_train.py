"""nn.fit: history, validation, metrics, schedules, penalties, progress bar and early stopping."""
from __future__ import annotations

import numpy as np
import pytest

from circuitgrad import nn
from circuitgrad.autograd import Tensor
from circuitgrad.nn.data import DataLoader


def classifier(seed: int = 0) -> nn.Sequential:
    np.random.seed(seed)
    return nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))


def test_fit_returns_a_history_and_learns():
    model = classifier()
    X, y = nn.data.moons(200, noise=0.1, seed=0)
    (Xtr, ytr), val = nn.data.train_val_split(X, y, val_fraction=0.25, seed=0)
    opt = nn.optim.Adam(model.parameters(), lr=0.05)
    history = nn.fit(model, nn.CrossEntropyLoss(), opt, DataLoader((Xtr, ytr), batch_size=50, shuffle=True, seed=0),
                     epochs=40, val=val, metrics=["accuracy"], progress=False)
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 40 for v in history.values()) and history.epochs == 40
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["val_accuracy"][-1] > 0.85
    assert not history.stopped_early and history.best_epoch is None
    assert model.training  # fit leaves the model in training mode after validating in eval mode


def test_reported_loss_is_the_sample_weighted_mean_before_each_step():
    model = classifier()
    X, y = nn.data.moons(10, seed=1)
    opt = nn.optim.SGD(model.parameters(), lr=0.0)  # lr 0: nothing moves, so every batch sees one model
    history = nn.fit(model, nn.CrossEntropyLoss(), opt, DataLoader((X, y), batch_size=4), epochs=1, progress=False)
    full = nn.CrossEntropyLoss()(model(Tensor(X)), y).item()
    assert history["loss"][0] == pytest.approx(full)


def test_data_as_a_list_or_nested_python_lists():
    model = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
    X, y = nn.data.xor()
    opt = nn.optim.SGD(model.parameters(), lr=0.5)
    from_list = nn.fit(model, nn.BCELoss(), opt, [X, y], epochs=2, progress=False)
    from_lists = nn.fit(model, nn.BCELoss(), opt, (X.tolist(), y.tolist()), epochs=2, progress=False)
    assert from_list.epochs == from_lists.epochs == 2
    assert from_lists["loss"][0] < from_list["loss"][0]  # the same model kept learning


def test_custom_metrics_and_evaluate():
    model = classifier()
    X, y = nn.data.moons(40, seed=2)

    def error_rate(pred, target):
        return 1.0 - nn.train.accuracy(pred, target)

    history = nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.0), (X, y), epochs=2,
                     metrics={"err": error_rate}, progress=False)  # lr 0: the metric is the fixed model's
    assert history["err"] == [1 - nn.train.accuracy(model(Tensor(X)), y)] * 2
    result = nn.evaluate(model, nn.CrossEntropyLoss(), (X, y), metrics=[error_rate])
    assert set(result) == {"loss", "error_rate"}
    assert result["loss"] == pytest.approx(nn.CrossEntropyLoss()(model(Tensor(X)), y).item())


def test_accuracy_for_classes_and_for_one_probability():
    assert nn.train.accuracy(Tensor([[2.0, 1.0], [0.0, 3.0]]), [0, 0]) == 0.5
    assert nn.train.accuracy(np.array([[0.9], [0.2], [0.6]]), np.array([[1.0], [0.0], [0.0]])) == pytest.approx(2 / 3)
    assert nn.train.accuracy(np.array([-1.0, 2.0]), np.array([0, 1]), threshold=0.0) == 1.0
    with pytest.raises(ValueError, match="need labels of shape"):
        nn.train.accuracy(np.zeros((2, 3)), np.zeros((2, 3)))


def test_scheduler_is_stepped_once_per_epoch():
    model = classifier()
    opt = nn.optim.SGD(model.parameters(), lr=1.0)
    sched = nn.optim.StepLR(opt, step_size=2, gamma=0.5)
    X, y = nn.data.moons(20, seed=3)
    history = nn.fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=5, scheduler=sched, progress=False)
    assert history["lr"] == [1.0, 1.0, 0.5, 0.5, 0.25]


def test_l1_penalty_is_a_one_liner_on_parameters():
    X, y = nn.data.moons(100, noise=0.1, seed=4)

    def train(penalty):
        model = classifier(5)
        opt = nn.optim.SGD(model.parameters(), lr=0.2)
        for _ in range(150):
            opt.zero_grad()
            loss = nn.CrossEntropyLoss()(model(Tensor(X)), y)
            if penalty:
                loss = loss + 0.01 * sum(p.abs().sum() for p in model.parameters())  # the L1 one-liner
            loss.backward()
            opt.step()
        return np.concatenate([p.data.ravel() for p in model.parameters()])

    plain, sparse = train(False), train(True)
    assert np.abs(sparse).sum() < 0.7 * np.abs(plain).sum()
    assert (np.abs(sparse) < 1e-2).mean() > (np.abs(plain) < 1e-2).mean()


def test_fit_adds_a_penalty_to_the_gradient_but_reports_the_plain_loss():
    X, y = nn.data.moons(50, seed=6)
    with_penalty = classifier(7)
    h = nn.fit(with_penalty, nn.CrossEntropyLoss(), nn.optim.SGD(with_penalty.parameters(), lr=0.1), (X, y),
               epochs=30, progress=False, penalty=lambda m: 0.05 * sum((p ** 2).sum() for p in m.parameters()))
    plain = classifier(7)
    nn.fit(plain, nn.CrossEntropyLoss(), nn.optim.SGD(plain.parameters(), lr=0.1), (X, y), epochs=30, progress=False)
    norm = lambda m: sum(float((p.data ** 2).sum()) for p in m.parameters())  # noqa: E731
    assert norm(with_penalty) < norm(plain)
    assert h["loss"][0] == pytest.approx(nn.CrossEntropyLoss()(classifier(7)(Tensor(X)), y).item())


def test_progress_bar_goes_to_stderr_and_progress_false_is_silent(capsys):
    X, y = nn.data.moons(20, seed=8)
    model = classifier()
    nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=3, progress=False)
    quiet = capsys.readouterr()
    assert quiet.out == "" and quiet.err == ""
    nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=3)
    loud = capsys.readouterr()
    assert loud.out == "" and "3/3" in loud.err and "epoch" in loud.err


def test_early_stopping_stops_and_restores_the_best_weights():
    np.random.seed(9)
    X, y = nn.data.height_weight(30, noise=8.0, seed=1)
    scaler_x, scaler_y = nn.data.Standardizer().fit(X), nn.data.Standardizer().fit(y)
    X, y = scaler_x.transform(X), scaler_y.transform(y)
    (Xtr, ytr), (Xval, yval) = nn.data.train_val_split(X, y, val_fraction=0.5, seed=2)
    model = nn.Sequential(nn.Linear(1, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))
    snapshots = []

    class Recording(nn.EarlyStopping):
        def update(self, epoch, value, model):
            snapshots.append(model.state_dict())
            return super().update(epoch, value, model)

    stopper = Recording(patience=15)
    history = nn.fit(model, nn.MSELoss(), nn.optim.Adam(model.parameters(), lr=0.02), (Xtr, ytr), epochs=2000,
                     val=(Xval, yval), early_stopping=stopper, progress=False)
    assert history.stopped_early and history.epochs < 2000
    best = history.best_epoch
    assert history.epochs == best + 1 + 15  # stopped exactly `patience` epochs after the best
    assert history["val_loss"][best] == min(history["val_loss"])
    for key, value in model.state_dict().items():  # the model holds the best epoch's weights again
        assert np.array_equal(value, snapshots[best][key])
    restored = nn.MSELoss()(model(Tensor(Xval)), yval).item()
    assert restored == pytest.approx(history["val_loss"][best])


def test_early_stopping_on_training_loss_and_as_a_plain_patience():
    model = classifier()
    X, y = nn.data.moons(20, seed=10)
    history = nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.0), (X, y), epochs=50,
                     early_stopping=3, progress=False)  # lr 0: the loss never improves after epoch 0
    assert history.stopped_early and history.epochs == 4 and history.best_epoch == 0
    maximize = nn.EarlyStopping(patience=2, monitor="accuracy")
    h = nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=0.0), (X, y), epochs=50,
               early_stopping=maximize, metrics=["accuracy"], progress=False)
    assert h.epochs == 3 and maximize.monitoring == "accuracy"


def test_fit_errors():
    model = classifier()
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    X, y = nn.data.moons(10, seed=11)
    with pytest.raises(ValueError, match="epochs must be an int >= 0"):
        nn.fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=-1, progress=False)
    with pytest.raises(TypeError, match="model must be an nn.Module"):
        nn.fit(lambda x: x, nn.CrossEntropyLoss(), opt, (X, y), progress=False)
    with pytest.raises(ValueError, match="10 inputs but 9 targets"):
        nn.fit(model, nn.CrossEntropyLoss(), opt, (X, y[:9]), progress=False)
    with pytest.raises(TypeError, match="must be a tuple"):
        nn.fit(model, nn.CrossEntropyLoss(), opt, 5, progress=False)
    with pytest.raises(ValueError, match="early stopping monitors 'val_loss', but the epochs record only"):
        nn.fit(model, nn.CrossEntropyLoss(), opt, (X, y), early_stopping=nn.EarlyStopping(monitor="val_loss"),
               progress=False)
    with pytest.raises(ValueError, match="patience must be a positive int"):
        nn.EarlyStopping(patience=0)
    with pytest.raises(ValueError, match="metric 'f1' is not a function"):
        nn.fit(model, nn.CrossEntropyLoss(), opt, (X, y), metrics={"f1": 3}, progress=False)


def test_a_diverging_loss_is_reported_with_advice():
    np.random.seed(12)
    model = nn.Sequential(nn.Linear(1, 1))
    X = np.linspace(-100, 100, 20).reshape(-1, 1)
    with pytest.raises(FloatingPointError, match="the loss became (inf|nan) at epoch .*smaller learning rate"):
        with np.errstate(over="ignore", invalid="ignore"):
            nn.fit(model, nn.MSELoss(), nn.optim.SGD(model.parameters(), lr=10.0), (X, 3 * X), epochs=200,
                   progress=False)


def test_fit_names_each_wrong_argument():
    model = classifier()
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    X, y = nn.data.moons(10, seed=11)
    loss = nn.CrossEntropyLoss()

    def fit(**changes):
        args = dict(model=model, loss_fn=loss, optimizer=opt, data=(X, y), progress=False)
        return nn.fit(**{**args, **changes})

    with pytest.raises(TypeError, match=r"fit: optimizer must be an optimizer such as nn.optim.SGD\(.*got NoneType"):
        fit(optimizer=None)
    with pytest.raises(TypeError, match="optimizer .* got the class SGD"):
        fit(optimizer=nn.optim.SGD)
    with pytest.raises(TypeError, match=r"fit: loss_fn must be a loss such as nn.BCELoss\(\) \(an instance; "
                                         r"got the class CrossEntropyLoss\)"):
        fit(loss_fn=nn.CrossEntropyLoss)
    with pytest.raises(TypeError, match="fit: loss_fn must be a loss .* got NoneType None"):
        fit(loss_fn=None)
    with pytest.raises(TypeError, match="fit: penalty must be a function of the model.* got int 5"):
        fit(penalty=5)
    with pytest.raises(TypeError, match="fit: scheduler must be a schedule .* got int 5"):
        fit(scheduler=5)
    with pytest.raises(ValueError, match=r"fit: data must be a pair \(X, y\).* got a tuple of length 1"):
        fit(data=(X,))
    with pytest.raises(ValueError, match=r"fit: val must be a pair \(X, y\)"):
        fit(val=(X,))
    with pytest.raises(TypeError, match=r"fit: data must be a tuple \(X, y\) or a DataLoader, got dict"):
        fit(data={"X": X, "y": y})
    with pytest.raises(ValueError, match=r"fit: batch 0 of data is 1 parts, not an \(input, target\) pair"):
        fit(data=DataLoader((X,), batch_size=5))
    with pytest.raises(TypeError, match=r"fit: metrics must be a list such as \['accuracy'\].* got str 'accuracy'"):
        fit(metrics="accuracy")
    with pytest.raises(ValueError, match=r"fit: data has no samples \(X has shape \(0, 2\)\)"):
        fit(data=(X[:0], y[:0]))  # not "the loss became nan ... smaller learning rate"
    with pytest.raises(TypeError, match="fit: progress must be True or False"):
        fit(progress="no")
    with pytest.raises(TypeError, match="EarlyStopping: min_delta must be a number, got str 'a'"):
        nn.EarlyStopping(min_delta="a")
    with pytest.raises(TypeError, match="EarlyStopping: monitor must be a history name"):
        nn.EarlyStopping(monitor=5)
    with pytest.raises(TypeError, match="evaluate: loss_fn must be a loss .* got the class CrossEntropyLoss"):
        nn.evaluate(model, nn.CrossEntropyLoss, (X, y))


def test_fit_takes_numpy_numbers():
    model = classifier()
    X, y = nn.data.moons(10, seed=11)
    history = nn.fit(model, nn.CrossEntropyLoss(), nn.optim.SGD(model.parameters(), lr=np.float32(0.1)), (X, y),
                     epochs=np.int64(2), early_stopping=np.int64(5), progress=False)
    assert history.epochs == 2
    assert nn.EarlyStopping(patience=np.int64(3), min_delta=np.float32(0.5)).min_delta == 0.5
