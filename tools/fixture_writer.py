"""Plumbing shared by the tools/make_*_fixtures.py scripts that record tf_keras 2.21 values.

Not part of gkeras; gkeras and its tests never import TensorFlow. The scripts import this module
as a sibling (their folder is on sys.path when run as `python tools/make_xxx_fixtures.py`), before
anything else that imports TensorFlow, since it selects tf_keras (TF_USE_LEGACY_KERAS=1) and the
CPU. It provides

- `np`, `tf`, `keras` (tf_keras, checked to be Keras 2) and `F32`;
- `Arrays`: the named arrays of one .npz file, filled with `put(key, value)`;
- `output_path(filename)`: the file to write, tests/fixtures/<filename> unless the script is
  given another path as its first argument (to compare a rerun with the committed file);
- `write(path, arrays)`: np.savez_compressed, then reload and check every array;
- `sgd_train_cases(put, cases, seed)`: the `train/<case>/*` keys of the spatial and local files.
"""
import json
import os
import sys

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

assert keras.__version__.startswith("2."), keras.__version__

__all__ = ["np", "tf", "keras", "F32", "Arrays", "output_path", "write", "sgd_train_cases"]

F32 = np.float32
FIXTURES = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir,
                                         "tests", "fixtures"))


class Arrays(dict):
    """Key -> array. `put` stores float arrays as float32 and a str as a 0-d unicode array
    (loadable without pickle), refuses a key twice and, when `slashes` is not None, a key with
    another number of '/' (the files whose keys are all `<group>/<case>/<array>` say 2)."""

    def __init__(self, slashes=2):
        super().__init__()
        self.slashes = slashes

    def put(self, key, value):
        assert self.slashes is None or key.count("/") == self.slashes, key
        assert key not in self, key
        value = np.asarray(value)
        self[key] = value.astype(F32) if value.dtype.kind == "f" else value


def output_path(filename):
    """The script's first argument if it has one, else tests/fixtures/<filename>."""
    return sys.argv[1] if len(sys.argv) > 1 else os.path.join(FIXTURES, filename)


def write(path, arrays):
    """Write `arrays` compressed to `path`, reload it and check that every array came back with
    its dtype, shape and values, and that the float ones are finite."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    np.savez_compressed(path, **arrays)
    with np.load(path, allow_pickle=False) as check:
        assert sorted(check.files) == sorted(arrays), "key mismatch"
        for key, value in arrays.items():
            loaded = check[key]
            assert loaded.dtype == value.dtype and loaded.shape == value.shape, key
            np.testing.assert_array_equal(loaded, value, err_msg=key)
            if loaded.dtype.kind == "f":
                assert np.all(np.isfinite(loaded)), key
    print(f"wrote {path}: {len(arrays)} arrays, {os.path.getsize(path)} bytes")


def sgd_train_cases(put, cases, seed):
    """For each (case, [(class, kwargs), ...], input shape) in `cases`: a Sequential model of
    those layers and a Dense(3, softmax), random normal(0, 0.5) weights, and one
    `train_on_batch(x, y)` with SGD(learning_rate=0.1) and categorical crossentropy. Puts
    `train/<case>/{layers, x, y, y_pred, loss, w<i>, w<i>_after}` (y_pred: predict(x) before the
    step; w<i> the weights before it, w<i>_after after), drawing everything from one
    np.random.default_rng(seed)."""
    rng = np.random.default_rng(seed)
    for case, specs, shape in cases:
        x = rng.normal(size=shape).astype(F32)
        y = np.eye(3, dtype=F32)[rng.integers(0, 3, size=shape[0])]
        layers = [getattr(keras.layers, cls)(**kwargs) for cls, kwargs in specs]
        model = keras.Sequential([keras.Input(shape[1:])] + layers
                                 + [keras.layers.Dense(3, activation="softmax")])
        weights = [rng.normal(0, 0.5, w.shape).astype(F32) for w in model.get_weights()]
        model.set_weights(weights)
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1),
                      loss="categorical_crossentropy")
        y_pred = model.predict(x, verbose=0)
        loss = model.train_on_batch(x, y)
        put(f"train/{case}/layers", json.dumps(specs))
        put(f"train/{case}/x", x)
        put(f"train/{case}/y", y)
        put(f"train/{case}/y_pred", y_pred)
        put(f"train/{case}/loss", np.float32(loss))
        for i, (before, after) in enumerate(zip(weights, model.get_weights())):
            put(f"train/{case}/w{i}", before)
            put(f"train/{case}/w{i}_after", after)
