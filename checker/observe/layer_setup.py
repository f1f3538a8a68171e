"""What the grader asks a learner's layer class to do: how it is created, fed and weighted.

Shared by the observer (which runs the class) and the judge (which computes what the class
should have returned), so both read the same numbers. Plain data and numpy; no learner code.
"""

from __future__ import annotations

import numpy as np

WEIGHT_CHOICES = (-2.0, -1.0, 1.0, 2.0)

# How each exercise creates and feeds its layer; the numbers are part of the exercise (docs/exercises.md).
SETUPS = {
    "simple_dense": {
        "class": "SimpleDense",
        "argument": "units",
        "value": 2,
        "input_dim": 3,
        "batch": 4,
        "calls": 1,
        "set_weights": True,
        "in_model": True,
        "config": True,
    },
    "compute_sum": {
        "class": "ComputeSum",
        "argument": "input_dim",
        "value": 3,
        "input_dim": 3,
        "batch": 4,
        "calls": 2,
        "set_weights": False,
        "in_model": False,
        "config": False,  # the exercise asks a get_config round trip of SimpleDense only
    },
}


def make_inputs(exercise_id: str, seed: int | None = None) -> dict:
    """The data of one check: small integer batches (exact in float32, readable in feedback).

    >>> make_inputs("compute_sum", seed=0)["argument"]
    {'input_dim': 3}
    """
    setup = SETUPS[exercise_id]
    rng = np.random.default_rng(seed)
    shape = (setup["batch"], setup["input_dim"])
    batches = [rng.integers(-3, 4, size=shape).astype(float) for _ in range(setup["calls"])]
    weight_seed = int(rng.integers(0, 2**31))
    while setup["set_weights"] and not _both_signs(batches, weight_seed, setup):
        weight_seed = int(rng.integers(0, 2**31))
    return {
        "exercise": exercise_id,
        "argument": {setup["argument"]: setup["value"]},
        "input_dim": setup["input_dim"],
        "batches": [batch.tolist() for batch in batches],
        "weight_seed": weight_seed,
    }


def _both_signs(batches: list[np.ndarray], weight_seed: int, setup: dict) -> bool:
    """Each unit of x·w + b, with the weights this seed gives, is negative somewhere and positive
    somewhere: else an added relu (or abs) would give the same outputs and go unnoticed."""
    w, b = known_weight_values(weight_seed, [(setup["input_dim"], setup["value"]), (setup["value"],)])
    outputs = np.concatenate([batch @ w + b for batch in batches])
    return bool(((outputs < 0).any(axis=0) & (outputs > 0).any(axis=0)).all())


def known_weight_values(seed: int, shapes: list) -> list[np.ndarray]:
    """The values observation gives the weights, in `layer.weights` order: small non-zero integers
    (so a forgotten bias shows), drawn from one generator seeded with `inputs["weight_seed"]`.
    A grader that does not trust the observing process can recompute them.

    >>> [v.tolist() for v in known_weight_values(0, [(2,)])]
    [[2.0, 1.0]]
    """
    rng = np.random.default_rng(seed)
    return [rng.choice(WEIGHT_CHOICES, size=tuple(int(d) for d in shape)) for shape in shapes]
