"""Write tests/fixtures/spatial_reference.npz: spatial layers computed by real Keras 2.

This script is NOT part of gkeras and gkeras/tests never import TensorFlow. It needs the
reference environment described in tests/fixtures/README.md:

    /tmp/tfref/bin/python tools/make_spatial_fixtures.py

and, given a path as its argument, it writes there instead (to compare a rerun with the
committed file).

Keys are flat, ``<group>/<case>/<array>``:

- ``layer/<case>/*``: one layer called on a random input. ``class`` and ``kwargs`` (JSON) rebuild
  it; ``x`` the input, ``w0``, ``w1``, ... its weights in Keras order, ``y`` its output,
  ``r`` a random output cotangent and ``grad_x`` = d sum(y * r) / dx from tf.GradientTape.
- ``train/<case>/*``: a small Sequential model (``layers``: JSON list of [class, kwargs]) and one
  ``train_on_batch(x, y)`` with ``SGD(learning_rate=0.1)`` and categorical crossentropy:
  ``w{i}`` before, ``w{i}_after`` after the step, ``loss`` as returned, ``y_pred`` =
  model.predict(x) before the step.

TensorFlow's CPU kernels support channels_last only for these ops, so channels_first is
checked in the tests by transposing these channels_last references (except
LocallyConnected2D, whose channels_first case runs here, since its weight layout differs).
All float arrays are float32 and every random input comes from a fixed NumPy seed.
"""
import json

import numpy as np

from fixture_writer import F32, Arrays, keras, output_path, sgd_train_cases, tf, write

out = Arrays()
put = out.put


def random_weights(rng, layer):
    """Replace the layer's initial weights with normal draws (biases too), so none are zero."""
    weights = [rng.normal(0, 0.5, w.shape).astype(F32) for w in layer.get_weights()]
    layer.set_weights(weights)
    return weights


# (case, class, kwargs, input shape, input kind)
LAYER_CASES = [
    ("conv1d_causal_dilated", "Conv1D",
     dict(filters=4, kernel_size=3, padding="causal", dilation_rate=2), (2, 9, 3), "normal"),
    ("conv1d_same_stride2_even_kernel", "Conv1D",
     dict(filters=3, kernel_size=4, strides=2, padding="same"), (1, 10, 2), "normal"),
    ("conv2d_same_strides_odd", "Conv2D",
     dict(filters=4, kernel_size=(3, 2), strides=(2, 3), padding="same"), (2, 7, 8, 3),
     "normal"),
    ("conv2d_valid_dilated", "Conv2D",
     dict(filters=3, kernel_size=3, dilation_rate=(2, 1), activation="relu"), (1, 9, 7, 2),
     "normal"),
    ("conv2d_groups", "Conv2D",
     dict(filters=4, kernel_size=2, groups=2, padding="same"), (1, 5, 4, 6), "normal"),
    ("conv3d_same_strides", "Conv3D",
     dict(filters=2, kernel_size=(2, 3, 2), strides=(1, 2, 2), padding="same"),
     (1, 5, 6, 5, 2), "normal"),
    ("separable_conv1d_same_s2", "SeparableConv1D",
     dict(filters=3, kernel_size=3, strides=2, padding="same", depth_multiplier=2),
     (2, 9, 3), "normal"),
    ("separable_conv1d_causal", "SeparableConv1D",
     dict(filters=2, kernel_size=2, padding="causal", dilation_rate=3), (1, 8, 2), "normal"),
    ("separable_conv2d_dilated", "SeparableConv2D",
     dict(filters=4, kernel_size=3, dilation_rate=2, depth_multiplier=2), (1, 8, 9, 3),
     "normal"),
    ("depthwise_conv2d_same_s2", "DepthwiseConv2D",
     dict(kernel_size=3, strides=2, padding="same", depth_multiplier=2), (2, 7, 6, 3),
     "normal"),
    ("conv2d_transpose_same_s2", "Conv2DTranspose",
     dict(filters=3, kernel_size=3, strides=2, padding="same"), (2, 4, 5, 2), "normal"),
    ("conv2d_transpose_valid_output_padding", "Conv2DTranspose",
     dict(filters=2, kernel_size=(3, 2), strides=(3, 2), output_padding=(1, 1)),
     (1, 3, 4, 3), "normal"),
    ("conv2d_transpose_same_output_padding", "Conv2DTranspose",
     dict(filters=2, kernel_size=4, strides=3, padding="same", output_padding=2),
     (1, 3, 2, 2), "normal"),
    ("conv2d_transpose_dilated", "Conv2DTranspose",
     dict(filters=2, kernel_size=3, padding="same", dilation_rate=2), (1, 5, 4, 3), "normal"),
    ("conv3d_transpose_same", "Conv3DTranspose",
     dict(filters=2, kernel_size=2, strides=(2, 1, 2), padding="same"), (1, 3, 4, 3, 2),
     "normal"),
    ("maxpool1d_same", "MaxPooling1D", dict(pool_size=3, strides=2, padding="same"),
     (2, 8, 3), "normal"),
    ("avgpool1d_same", "AveragePooling1D", dict(pool_size=3, strides=2, padding="same"),
     (2, 8, 3), "normal"),
    ("maxpool2d_same_odd", "MaxPooling2D", dict(pool_size=3, strides=2, padding="same"),
     (2, 7, 6, 3), "normal"),
    ("maxpool2d_ties", "MaxPooling2D", dict(pool_size=2, strides=1), (1, 5, 5, 2), "ties"),
    ("avgpool2d_same", "AveragePooling2D",
     dict(pool_size=(3, 2), strides=(2, 1), padding="same"), (2, 7, 5, 2), "normal"),
    ("avgpool2d_valid", "AveragePooling2D", dict(pool_size=2), (1, 5, 7, 2), "normal"),
    ("maxpool3d_same", "MaxPooling3D", dict(pool_size=2, padding="same"), (1, 3, 5, 4, 2),
     "normal"),
    ("avgpool3d_same", "AveragePooling3D",
     dict(pool_size=(2, 3, 2), strides=(1, 2, 2), padding="same"), (1, 3, 5, 4, 2), "normal"),
    ("global_max_pool1d", "GlobalMaxPooling1D", dict(), (2, 5, 3), "normal"),
    ("global_avg_pool2d", "GlobalAveragePooling2D", dict(), (2, 3, 4, 3), "normal"),
    ("global_max_pool3d", "GlobalMaxPooling3D", dict(), (2, 2, 3, 2, 3), "normal"),
    ("locally_connected1d", "LocallyConnected1D", dict(filters=3, kernel_size=3, strides=2),
     (2, 9, 2), "normal"),
    ("locally_connected2d", "LocallyConnected2D",
     dict(filters=2, kernel_size=(2, 3), strides=(1, 2)), (2, 5, 7, 3), "normal"),
    ("locally_connected2d_channels_first", "LocallyConnected2D",
     dict(filters=2, kernel_size=(2, 3), strides=(1, 2), data_format="channels_first"),
     (2, 3, 5, 7), "normal"),
    ("upsampling1d", "UpSampling1D", dict(size=3), (2, 4, 3), "normal"),
    ("upsampling2d_bilinear", "UpSampling2D", dict(size=(2, 3), interpolation="bilinear"),
     (1, 3, 4, 2), "normal"),
    ("upsampling3d", "UpSampling3D", dict(size=(1, 2, 3)), (1, 2, 3, 2, 2), "normal"),
    ("cropping1d", "Cropping1D", dict(cropping=(2, 1)), (2, 7, 3), "normal"),
    ("cropping2d", "Cropping2D", dict(cropping=((1, 2), (0, 3))), (2, 6, 7, 2), "normal"),
    ("cropping3d", "Cropping3D", dict(cropping=((1, 0), (0, 2), (1, 1))), (1, 4, 5, 4, 2),
     "normal"),
    ("zero_padding1d", "ZeroPadding1D", dict(padding=(2, 1)), (2, 4, 3), "normal"),
    ("zero_padding2d", "ZeroPadding2D", dict(padding=((1, 0), (2, 3))), (1, 3, 4, 2),
     "normal"),
    ("zero_padding3d", "ZeroPadding3D", dict(padding=((0, 1), (2, 0), (1, 1))),
     (1, 2, 3, 2, 2), "normal"),
]


def layer_cases(seed=20261122):
    rng = np.random.default_rng(seed)
    for case, cls, kwargs, shape, kind in LAYER_CASES:
        if kind == "ties":
            x = rng.integers(0, 3, size=shape).astype(F32)
        else:
            x = rng.normal(size=shape).astype(F32)
        layer = getattr(keras.layers, cls)(**kwargs)
        layer.build(shape)
        weights = random_weights(rng, layer)
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            y = layer(xt)
            r = rng.normal(size=y.shape).astype(F32)
            objective = tf.reduce_sum(y * r)
        grad_x = tape.gradient(objective, xt).numpy()
        put(f"layer/{case}/class", cls)
        put(f"layer/{case}/kwargs", json.dumps(kwargs))
        put(f"layer/{case}/x", x)
        for i, w in enumerate(weights):
            put(f"layer/{case}/w{i}", w)
        put(f"layer/{case}/y", y.numpy())
        put(f"layer/{case}/r", r)
        put(f"layer/{case}/grad_x", grad_x)


# (case, [(class, kwargs), ...], input shape); the last layer is Dense(3, softmax)
TRAIN_CASES = [
    ("conv2d_maxpool", [
        ("Conv2D", dict(filters=3, kernel_size=3, strides=2, padding="same", activation="relu")),
        ("MaxPooling2D", dict(pool_size=2, padding="same")),
        ("Flatten", dict()),
    ], (4, 9, 8, 2)),
    ("conv1d_avgpool", [
        ("Conv1D", dict(filters=4, kernel_size=3, padding="causal", dilation_rate=2,
                        activation="tanh")),
        ("AveragePooling1D", dict(pool_size=2, padding="same")),
        ("GlobalMaxPooling1D", dict()),
    ], (4, 9, 3)),
    ("depthwise_separable", [
        ("DepthwiseConv2D", dict(kernel_size=3, depth_multiplier=2, padding="same")),
        ("SeparableConv2D", dict(filters=3, kernel_size=2, activation="tanh")),
        ("GlobalAveragePooling2D", dict()),
    ], (4, 6, 5, 2)),
    ("conv2d_transpose", [
        ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2, padding="same",
                                 activation="relu")),
        ("Cropping2D", dict(cropping=((1, 0), (0, 1)))),
        ("Flatten", dict()),
    ], (4, 3, 4, 2)),
    ("conv3d_transpose", [
        ("Conv3D", dict(filters=2, kernel_size=2, padding="same", activation="relu")),
        ("MaxPooling3D", dict(pool_size=2)),
        ("Conv3DTranspose", dict(filters=2, kernel_size=2, strides=2)),
        ("Flatten", dict()),
    ], (4, 4, 4, 3, 2)),
    ("locally_connected", [
        ("LocallyConnected2D", dict(filters=2, kernel_size=2, strides=(1, 2),
                                    activation="tanh")),
        ("Flatten", dict()),
    ], (4, 5, 6, 2)),
    ("locally_connected1d_upsampling", [
        ("UpSampling1D", dict(size=2)),
        ("LocallyConnected1D", dict(filters=3, kernel_size=3, strides=2, activation="tanh")),
        ("ZeroPadding1D", dict(padding=1)),
        ("Flatten", dict()),
    ], (4, 5, 2)),
    ("upsampling_bilinear", [
        ("UpSampling2D", dict(size=2, interpolation="bilinear")),
        ("Conv2D", dict(filters=2, kernel_size=3, activation="relu")),
        ("AveragePooling2D", dict(pool_size=2)),
        ("Flatten", dict()),
    ], (4, 3, 4, 2)),
]


def main():
    keras.utils.set_random_seed(0)
    put("meta/versions/tf_keras", keras.__version__)
    put("meta/versions/tensorflow", tf.__version__)
    put("meta/versions/numpy", np.__version__)
    layer_cases()
    sgd_train_cases(put, TRAIN_CASES, seed=5)
    write(output_path("spatial_reference.npz"), out)


if __name__ == "__main__":
    main()
