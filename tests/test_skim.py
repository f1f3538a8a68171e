"""Grading mode skims training: one batch per fit, every history key a full run has."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from checker.course import helpers, skim  # noqa: E402


@pytest.fixture
def grading(monkeypatch):
    """A kernel that grades: CHECKER_SKIM=1; Keras' fit and evaluate put back afterwards."""
    monkeypatch.setenv(skim.SKIM_ENV, "1")
    monkeypatch.setattr(keras.Model, "fit", keras.Model.fit)
    monkeypatch.setattr(keras.Model, "evaluate", keras.Model.evaluate)


def small_model(metrics=("accuracy",)):
    inputs = keras.Input(shape=(4,))
    outputs = keras.layers.Dense(3, activation="softmax")(keras.layers.Dense(8, activation="relu")(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=list(metrics))
    return model


def data(rows=640):
    generator = np.random.default_rng(0)
    return generator.normal(size=(rows, 4)).astype("float32"), generator.integers(0, 3, size=rows)


def test_fit_takes_one_batch_and_keeps_every_key_of_a_full_run(grading):
    x, y = data()
    full = small_model().fit(x, y, epochs=2, batch_size=32, validation_split=0.2, verbose=0)
    assert skim.skim_when_grading()
    model = small_model()
    skimmed = model.fit(x, y, epochs=40, batch_size=32, validation_split=0.2, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 1
    assert sorted(skimmed.history) == sorted(full.history)
    assert all(len(values) == 1 for values in skimmed.history.values())


def test_fit_given_positionally_with_validation_every_few_epochs_still_records_validation(grading):
    x, y = data()
    skim.skim_when_grading()
    model = small_model()
    history = model.fit(x, y, 16, 30, 0, validation_data=(x[:64], y[:64]), validation_freq=10)
    assert int(model.optimizer.iterations.numpy()) == 1
    assert history.history["val_accuracy"] and history.epoch == [0]


def test_a_run_that_starts_at_a_later_epoch_still_trains_one_batch(grading):
    x, y = data()
    skim.skim_when_grading()
    model = small_model()
    history = model.fit(x, y, epochs=12, initial_epoch=10, verbose=0)
    assert history.epoch == [10] and int(model.optimizer.iterations.numpy()) == 1


def test_evaluate_looks_at_one_batch_and_predict_at_every_row(grading):
    x, y = data()
    skim.skim_when_grading()
    model = small_model()
    assert set(model.evaluate(x, y, verbose=0, return_dict=True)) == {"loss", "accuracy"}
    assert model.predict(x, verbose=0).shape == (640, 3)


def test_calling_it_twice_wraps_fit_once(grading):
    skim.skim_when_grading()
    once = keras.Model.fit
    skim.skim_when_grading()
    assert keras.Model.fit is once


def test_at_home_nothing_changes(monkeypatch):
    monkeypatch.delenv(skim.SKIM_ENV, raising=False)
    before = keras.Model.fit
    assert not skim.skim_when_grading()
    assert keras.Model.fit is before


def test_grading_with_full_training_asked_for_nothing_changes(monkeypatch):
    monkeypatch.setenv(skim.SKIM_ENV, "0")
    before = keras.Model.fit
    assert not skim.skim_when_grading()
    assert keras.Model.fit is before


def test_drawings_say_they_were_skipped_while_grading(grading, capsys):
    helpers.plot_history({"loss": [1.0, 0.5]}, chance=0.1)
    helpers.show_model(small_model())
    assert capsys.readouterr().out.splitlines() == [skim.SKIPPED_DRAWING] * 2
