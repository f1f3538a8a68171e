"""Reports for submissions that cannot be graded as a model at all, in words a learner can act on."""

from __future__ import annotations

import re
import traceback

from checker.report import CheckResult, Report

BUG_URL_HINT = "This is a bug in the checker, not in your model: please tell your instructor."


def whole_exercise_failed(exercise_id: str, spec: dict, message: str, summary: str = "") -> Report:
    """Every check of the exercise at zero, behind a 'model' row (worth no points) that says why."""
    checks = [CheckResult("model", 0, 0.0, [message])]
    checks += [CheckResult(name, points, 0.0) for name, points in spec["points"].items()]
    return Report(exercise_id, checks, summary or "Nothing else can be checked until this is fixed.")


def not_a_functional_model(exercise_id: str, spec: dict, description: dict) -> str | None:
    """What is wrong when the description is not a functional model; None when it is one."""
    kind = description.get("kind")
    builder = spec.get("builder", "your function")
    if kind == "functional":
        return None
    if kind == "none":
        return (
            f"Got None instead of a model. Does {builder}() end with `return model`? "
            "A function without a return statement returns None."
        )
    if kind == "function":
        return (
            f"Got a function ({description.get('name')}) where a model was expected: the function "
            f"{builder} should end with `return model`, the keras.Model it built."
        )
    if kind == "tensor":
        return (
            "Got a tensor, not a model. Wrap the graph in a model: "
            "model = keras.Model(inputs=..., outputs=...), and return the model."
        )
    if kind == "sequential":  # graded further by the caller; this message goes to 'wiring'
        return (
            "This is a Sequential model; the exercise asks for a functional one. Start from "
            "keras.Input(...), call each layer on the previous tensor, and finish with "
            "keras.Model(inputs, outputs)."
        )
    if kind == "subclassed":
        return (
            f"This is a subclassed model ({description.get('class_name')}); the exercise asks "
            "for a functional one built with keras.Input(...) and keras.Model(inputs, outputs)."
        )
    if kind in ("layer", "layer_class", "class"):
        return (
            f"Got a layer or class ({description.get('class_name') or description.get('name')}), "
            "not a model. Build the whole network and return keras.Model(inputs, outputs)."
        )
    if kind == "broken":
        return f"Could not read this model: {description.get('error')}. Rebuild it and try again."
    if kind == "sequence":
        return (
            "Got a list or tuple, not a model. If your function returns several things, "
            "return only the keras.Model."
        )
    return (
        f"Expected a Keras functional model, got {description.get('type')}"
        f" ({description.get('repr', '')}). Return keras.Model(inputs, outputs)."
    )


def builder_failed(exercise_id: str, spec: dict, exc: BaseException, name: str | None = None) -> Report:
    """The learner's build function `name` raised: say so, and name a known pitfall if it is one.

    >>> builder_failed("qa_model", {"points": {}}, KeyError("x"), "build_qa").checks[0].messages
    ["build_qa() raised KeyError: 'x'"]
    """
    function = name or spec.get("builder", "Your function")
    message = f"{function}() raised {type(exc).__name__}: {_first_line(exc)}"
    hint = _pitfall_hint(exc, function) or _rank_hint(exc, spec)
    summary = hint or f"Run {function}() on its own in a cell to see the full error."
    return whole_exercise_failed(exercise_id, spec, message, summary)


def internal_error(exercise_id: str, exc: Exception) -> Report:
    where = traceback.extract_tb(exc.__traceback__)[-1]
    detail = f"{type(exc).__name__}: {exc} (at {where.filename.rsplit('/', 1)[-1]}:{where.lineno})"
    check = CheckResult("checker", 1, 0.0, [f"The checker failed while grading: {detail}"])
    return Report(exercise_id, [check], BUG_URL_HINT)


def _pitfall_hint(exc: BaseException, function: str) -> str:
    text = str(exc)
    if isinstance(exc, TypeError) and "required positional argument" in text and function in text:
        return (
            f"The checker calls {function}() without arguments. Pass a function that takes none "
            "(the exercise's build function), or the model itself."
        )
    if "is used 2 times in the model" in text or "should be unique" in text:
        return (
            "Known pitfall: you created the same model or layer twice (two instances with one "
            "name). When both inputs must go through the same base, create it ONCE, e.g. "
            "base = keras.applications.Xception(weights=None, include_top=False), and call "
            "base(left) and base(right): one instance, shared weights."
        )
    if "Unrecognized keyword arguments passed to" in text and re.search(r"\{'(input|output)'", text):
        return (
            "keras.Model was given input= or output=, the argument names of Keras 1. "
            "Keras 3 names them inputs= and outputs=: keras.Model(inputs=input_tensor, "
            "outputs=output_tensor), or keras.Model(input_tensor, output_tensor)."
        )
    number = re.search(r"Cannot convert '(\d+)' to a shape", text)
    if number:
        return (
            f"A shape was given as the number {number.group(1)}; Keras 3 needs a tuple, even for one "
            f"axis: keras.Input(shape=({number.group(1)},)), with the comma."
        )
    if "Argument(s) not recognized" in text and "'lr'" in text:
        return (
            "The optimizer was given lr=..., a name Keras 3 no longer knows: the learning rate is "
            "learning_rate=..., e.g. keras.optimizers.RMSprop(learning_rate=1e-3)."
        )
    if "is not connected to `inputs`" in text or "is not connected to inputs" in text:
        return (
            "Keras could not trace the model's output back to the inputs given to keras.Model. "
            "Known pitfall: an input variable overwritten by a layer's result (e.g. "
            "right_input = base(right_input)), so keras.Model gets that result instead of the "
            "keras.Input; or a keras.Input left out of the inputs. Keep each keras.Input in its "
            "own variable, give the results other names, and pass every keras.Input to keras.Model."
        )
    if "Concatenate" in text and "shape" in text.lower():
        return (
            "Known pitfall: the model could not even be built, because the branches produce tensors "
            "of different heights and widths, and Concatenate cannot join those. Give the "
            'convolutions and pooling layers in the branches padding="same" (and the strides the '
            "exercise asks for), so every branch ends at the same size."
        )
    if ("Add" in text or "incompatible shapes" in text) and "shape" in text.lower():
        return _add_hint(text)
    return ""


def _rank_hint(exc: BaseException, spec: dict) -> str:
    """A layer given a tensor with the wrong number of axes, e.g. Conv2D on Input(shape=(None,))."""
    if not re.search(r"expected (min_)?ndim=\d+, found ndim=\d+", str(exc)):
        return ""
    shapes = [str(tuple(i["shape"])) for i in spec.get("inputs", [])]
    plural = "s are" if len(shapes) > 1 else " is"
    expected = (
        f" The exercise's input shape{plural} {', '.join(shapes)} (without the batch axis)." if shapes else ""
    )
    return (
        "A layer got a tensor with the wrong number of axes (ndim in the error counts the batch "
        "axis too). Check the shape given to keras.Input and the layers before the one named in "
        f"the error.{expected}"
    )


def _add_hint(text: str) -> str:
    """Why two tensors cannot be added: sizes trimmed by padding, or a shortcut without projection."""
    shapes = [
        tuple(int(n) for n in re.findall(r"\d+", found))
        for found in re.findall(r"\(((?:None|\d+)(?:, *(?:None|\d+))*),?\)", text)
    ]
    intro = "Known pitfall: the two tensors you add have different shapes"
    if len(shapes) >= 2 and len(shapes[0]) == len(shapes[1]) and shapes[0][:-1] != shapes[1][:-1]:
        first, second = shapes[0], shapes[1]
        if first[-1] == second[-1]:
            return (
                f"{intro} ({first} and {second}): their heights and widths differ. If the convolutions "
                'shrank the tensor, give them padding="same"; if the block is meant to shrink it, '
                'project the shortcut with a strided 1x1 Conv2D (padding="same").'
            )
    return (
        f"{intro}. When the block changes the shape (more channels, or strides), project the shortcut "
        'with a 1x1 Conv2D to the same shape (strides 2 and padding="same" when it halves the size); '
        'when convolutions shrink it, give them padding="same".'
    )


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0][:300] if lines else "(no message)"
