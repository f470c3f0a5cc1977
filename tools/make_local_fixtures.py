"""Write tests/fixtures/local_reference.npz: LocallyConnected1D/2D with implementation=2 and 3
(tf.keras' dense masked kernel and sparse kernel) computed by real tf_keras 2.21.

This script is NOT part of gkeras and gkeras/tests never import TensorFlow. It needs the
reference environment described in tests/fixtures/README.md:

    TF_USE_LEGACY_KERAS=1 /tmp/tfref/bin/python tools/make_local_fixtures.py

and, given a path as its argument, it writes there instead (to compare a rerun with the
committed file).

Keys follow tools/make_spatial_fixtures.py (so tests/spatial_reference.py reads both):

- ``layer/<case>/*``: one layer called on a random input. ``class`` and ``kwargs`` (JSON) rebuild
  it; ``x`` the input, ``w0``, ``w1``, ... its weights in Keras order, ``y`` its output,
  ``r`` a random output cotangent, ``grad_x`` = d sum(y * r) / dx and ``grad_w0``, ... the same
  derivative for each weight, from tf.GradientTape.
- ``train/<case>/*``: a small Sequential model (``layers``: JSON list of [class, kwargs]) and one
  ``train_on_batch(x, y)`` with ``SGD(learning_rate=0.1)`` and categorical crossentropy:
  ``w{i}`` before, ``w{i}_after`` after the step, ``loss`` as returned, ``y_pred`` =
  model.predict(x) before the step.

TensorFlow runs implementation 2 and 3 as (sparse) matrix products, so channels_first runs here
directly. All float arrays are float32 and every random input comes from a fixed NumPy seed.
"""
import json

import numpy as np

from fixture_writer import F32, Arrays, keras, output_path, sgd_train_cases, tf, write

out = Arrays()
put = out.put


CF = dict(data_format="channels_first")

# (case, class, kwargs, input shape)
LAYER_CASES = [
    ("lc1d_impl2", "LocallyConnected1D",
     dict(filters=3, kernel_size=3, strides=2, implementation=2), (2, 9, 2)),
    ("lc1d_impl2_channels_first", "LocallyConnected1D",
     dict(filters=2, kernel_size=2, implementation=2, **CF), (1, 3, 6)),
    ("lc1d_impl3", "LocallyConnected1D",
     dict(filters=2, kernel_size=3, strides=2, implementation=3), (2, 8, 3)),
    ("lc1d_impl3_channels_first", "LocallyConnected1D",
     dict(filters=3, kernel_size=2, strides=3, implementation=3, **CF), (2, 2, 9)),
    ("lc1d_impl2_same", "LocallyConnected1D",
     dict(filters=2, kernel_size=4, strides=3, padding="same", implementation=2), (2, 10, 2)),
    ("lc1d_impl3_same_channels_first", "LocallyConnected1D",
     dict(filters=2, kernel_size=3, strides=1, padding="same", implementation=3, **CF),
     (1, 2, 5)),
    ("lc1d_impl3_same_wide_stride", "LocallyConnected1D",
     dict(filters=1, kernel_size=1, strides=4, padding="same", implementation=3), (1, 10, 2)),
    ("lc2d_impl2", "LocallyConnected2D",
     dict(filters=2, kernel_size=(2, 3), strides=(1, 2), implementation=2), (2, 4, 6, 2)),
    ("lc2d_impl2_channels_first", "LocallyConnected2D",
     dict(filters=2, kernel_size=(2, 3), strides=(1, 2), implementation=2, **CF),
     (2, 2, 4, 7)),
    ("lc2d_impl3", "LocallyConnected2D",
     dict(filters=3, kernel_size=(3, 2), strides=(2, 1), implementation=3), (2, 6, 5, 2)),
    ("lc2d_impl3_channels_first", "LocallyConnected2D",
     dict(filters=2, kernel_size=2, strides=(1, 2), implementation=3, **CF), (1, 2, 4, 5)),
    ("lc2d_impl2_same_channels_first", "LocallyConnected2D",
     dict(filters=2, kernel_size=(2, 3), strides=(2, 1), padding="same", implementation=2,
          **CF), (2, 2, 5, 4)),
    ("lc2d_impl3_same", "LocallyConnected2D",
     dict(filters=2, kernel_size=(3, 2), strides=(1, 2), padding="same", implementation=3),
     (1, 4, 5, 2)),
]


def layer_cases(seed=20261123):
    rng = np.random.default_rng(seed)
    for case, cls, kwargs, shape in LAYER_CASES:
        x = rng.normal(size=shape).astype(F32)
        layer = getattr(keras.layers, cls)(**kwargs)
        layer.build(shape)
        weights = [rng.normal(0, 0.5, w.shape).astype(F32) for w in layer.get_weights()]
        layer.set_weights(weights)
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            y = layer(xt)
            r = rng.normal(size=y.shape).astype(F32)
            objective = tf.reduce_sum(y * r)
        grads = tape.gradient(objective, [xt] + layer.weights)
        put(f"layer/{case}/class", cls)
        put(f"layer/{case}/kwargs", json.dumps(kwargs))
        put(f"layer/{case}/x", x)
        for i, w in enumerate(weights):
            put(f"layer/{case}/w{i}", w)
            put(f"layer/{case}/grad_w{i}", grads[1 + i].numpy())
        put(f"layer/{case}/y", y.numpy())
        put(f"layer/{case}/r", r)
        put(f"layer/{case}/grad_x", grads[0].numpy())


# (case, [(class, kwargs), ...], input shape); the last layer is Dense(3, softmax)
TRAIN_CASES = [
    ("lc2d_impl2", [
        ("LocallyConnected2D", dict(filters=2, kernel_size=2, strides=(1, 2),
                                    activation="tanh", implementation=2)),
        ("Flatten", dict()),
    ], (4, 5, 6, 2)),
    ("lc2d_impl3_channels_first", [
        ("LocallyConnected2D", dict(filters=2, kernel_size=(3, 2), strides=(2, 1),
                                    activation="tanh", implementation=3, **CF)),
        ("Flatten", dict()),
    ], (4, 2, 5, 4)),
    ("lc1d_impl2_channels_first", [
        ("LocallyConnected1D", dict(filters=3, kernel_size=3, strides=2, activation="tanh",
                                    implementation=2, **CF)),
        ("Flatten", dict()),
    ], (4, 2, 9)),
    ("lc1d_impl3_same", [
        ("LocallyConnected1D", dict(filters=2, kernel_size=4, strides=2, padding="same",
                                    activation="tanh", implementation=3)),
        ("Flatten", dict()),
    ], (4, 7, 3)),
]


def main():
    keras.utils.set_random_seed(0)
    put("meta/versions/tf_keras", keras.__version__)
    put("meta/versions/tensorflow", tf.__version__)
    put("meta/versions/numpy", np.__version__)
    layer_cases()
    sgd_train_cases(put, TRAIN_CASES, seed=6)
    write(output_path("local_reference.npz"), out)


if __name__ == "__main__":
    main()
