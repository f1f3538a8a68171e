"""Start TensorFlow without its wall of start-up log lines under the first cell.

Importing TensorFlow prints about fifteen lines to the process's stderr (oneDNN, cudart,
cpu_feature_guard, cuInit), partly before its log level is read, so an environment variable
alone does not hide them. Jupyter shows each as a pink stderr box.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys

LOG_LEVEL_ENV = "TF_CPP_MIN_LOG_LEVEL"


def start_quietly() -> None:
    """Import Keras (and TensorFlow) with the start-up lines hidden; call it before `import keras`.

    Only the start-up is silenced: TensorFlow's errors later in the notebook still show
    (its informational notes and warnings stay hidden), and so does any Python exception,
    including one raised by the import itself.

    >>> start_quietly()
    """
    os.environ.setdefault(LOG_LEVEL_ENV, "2")  # 2: errors only, for the rest of the session
    with _native_stderr_silenced(), contextlib.redirect_stderr(io.StringIO()):
        import keras

        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf

            tf.config.list_physical_devices()  # looks for GPUs now, inside the silence (cuInit)


@contextlib.contextmanager
def _native_stderr_silenced():
    """Point file descriptor 2, where C++ libraries write, at /dev/null for a moment."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real descriptor 2 (some embedded interpreters)
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
