"""Write tests/fixtures/training_reference.npz: fit() histories and weights from real tf.keras.

Not part of gkeras; gkeras and its tests never import TensorFlow. It needs the reference
environment described in tests/fixtures/README.md:

    /tmp/tfref/bin/python tools/make_training_fixtures.py

and, given a path as its argument, it writes there instead (to compare a rerun with the
committed file).

Each case builds the same small model in tf_keras and (in tests/test_training.py) in gkeras,
with the same initial weights, data, batch size and no shuffling, and records the History of
`fit` (train and validation values per epoch) and the final weights. Keys are
`<case>/<array>`; History series are `<case>/history/<tf.keras name>`. Float arrays are float32.
"""
import numpy as np

from fixture_writer import F32, Arrays, keras, output_path, tf, write

layers = keras.layers
out = Arrays(slashes=None)  # <case>/<array> and <case>/<kind>/<name>
put = out.put


def random_weights(model, rng):
    weights = [rng.uniform(-0.6, 0.6, w.shape).astype(F32) for w in model.get_weights()]
    model.set_weights(weights)
    return weights


def record(case, model, history, weights_before, arrays):
    for name, value in arrays.items():
        put(f"{case}/{name}", value)
    for i, w in enumerate(weights_before):
        put(f"{case}/weights_before/{i}", w)
    for i, w in enumerate(model.get_weights()):
        put(f"{case}/weights_after/{i}", w)
    for name, series in history.history.items():
        put(f"{case}/history/{name}", np.asarray(series, dtype=np.float64))


def multi_output(rng):
    """Two outputs, per-output losses, loss_weights, metrics, weighted metrics, sample weights."""
    inp = keras.Input((4,), name="features")
    hidden = layers.Dense(5, activation="tanh", name="hidden")(inp)
    out1 = layers.Dense(1, activation="sigmoid", name="out1")(hidden)
    out2 = layers.Dense(3, activation="softmax", name="out2")(hidden)
    model = keras.Model(inp, [out1, out2])
    before = random_weights(model, rng)
    model.compile(keras.optimizers.legacy.SGD(learning_rate=0.2),
                  loss={"out1": "binary_crossentropy", "out2": "categorical_crossentropy"},
                  loss_weights={"out1": 0.5, "out2": 2.0},
                  metrics={"out1": ["acc", "mae"], "out2": ["acc"]},
                  weighted_metrics=["acc"])
    x = rng.standard_normal((22, 4)).astype(F32)
    y1 = (rng.random((22, 1)) > 0.5).astype(F32)
    y2 = np.eye(3, dtype=F32)[rng.integers(0, 3, 22)]
    sw1 = rng.uniform(0.2, 2.0, 22).astype(F32)
    sw2 = rng.uniform(0.2, 2.0, 22).astype(F32)
    vx = rng.standard_normal((9, 4)).astype(F32)
    vy1 = (rng.random((9, 1)) > 0.5).astype(F32)
    vy2 = np.eye(3, dtype=F32)[rng.integers(0, 3, 9)]
    history = model.fit(x, {"out1": y1, "out2": y2}, sample_weight={"out1": sw1, "out2": sw2},
                        batch_size=8, epochs=3, shuffle=False, verbose=0,
                        validation_data=(vx, {"out1": vy1, "out2": vy2}))
    record("multi_output", model, history, before,
           dict(x=x, y1=y1, y2=y2, sw1=sw1, sw2=sw2, vx=vx, vy1=vy1, vy2=vy2))


def class_weights(rng):
    """One softmax output with class_weight (tf_keras 2.21 fails on class_weight together with
    sample_weight); accuracy and weighted accuracy."""
    model = keras.Sequential([layers.Dense(6, activation="relu", input_shape=(5,)),
                              layers.Dense(3, activation="softmax")])
    before = random_weights(model, rng)
    model.compile(keras.optimizers.legacy.SGD(learning_rate=0.1),
                  loss="sparse_categorical_crossentropy", metrics=["acc"],
                  weighted_metrics=["acc"])
    x = rng.standard_normal((19, 5)).astype(F32)
    y = rng.integers(0, 3, (19, 1))
    class_weight = {0: 0.5, 1: 2.0, 2: 1.5}
    history = model.fit(x, y, class_weight=class_weight, batch_size=7, epochs=2, shuffle=False,
                        verbose=0)
    record("class_weights", model, history, before,
           dict(x=x, y=y, class_weight=np.array([0.5, 2.0, 1.5])))


def temporal(rng):
    """sample_weight_mode='temporal': per-timestep weights on a sequence output."""
    inp = keras.Input((5, 3))
    output = layers.Dense(2)(inp)
    model = keras.Model(inp, output)
    before = random_weights(model, rng)
    model.compile(keras.optimizers.legacy.SGD(learning_rate=0.05), loss="mse",
                  sample_weight_mode="temporal", metrics=["mae"], weighted_metrics=["mae"])
    x = rng.standard_normal((10, 5, 3)).astype(F32)
    y = rng.standard_normal((10, 5, 2)).astype(F32)
    sw = rng.uniform(0.0, 2.0, (10, 5)).astype(F32)
    sw[:, -1] = 0.0
    history = model.fit(x, y, sample_weight=sw, batch_size=4, epochs=2, shuffle=False,
                        verbose=0)
    record("temporal", model, history, before, dict(x=x, y=y, sw=sw))


def masked(rng):
    """A Masking layer: masked timesteps count neither in the loss nor in the metrics."""
    inp = keras.Input((6, 3))
    masked_input = layers.Masking(mask_value=0.0)(inp)
    output = layers.Dense(2)(masked_input)
    model = keras.Model(inp, output)
    before = random_weights(model, rng)
    model.compile(keras.optimizers.legacy.SGD(learning_rate=0.05), loss="mse", metrics=["mae"],
                  weighted_metrics=["mae"])
    x = rng.standard_normal((8, 6, 3)).astype(F32)
    x[0, 4:] = 0.0
    x[3, 1:] = 0.0
    x[5, :2] = 0.0
    y = rng.standard_normal((8, 6, 2)).astype(F32)
    sw = rng.uniform(0.5, 1.5, 8).astype(F32)
    history = model.fit(x, y, sample_weight=sw, batch_size=3, epochs=2, shuffle=False,
                        verbose=0)
    record("masked", model, history, before, dict(x=x, y=y, sw=sw))


def masked_sequence(rng):
    """Embedding(mask_zero) -> LSTM(return_sequences) -> TimeDistributed(Dense): the mask of
    padded timesteps reaches the loss, the metrics and the temporal sample weights."""
    model = keras.Sequential([
        layers.Embedding(20, 8, mask_zero=True, input_length=7),
        layers.LSTM(6, return_sequences=True, recurrent_activation="sigmoid"),
        layers.TimeDistributed(layers.Dense(4, activation="softmax"))])
    before = random_weights(model, rng)
    model.compile(keras.optimizers.legacy.SGD(learning_rate=0.5),
                  loss="sparse_categorical_crossentropy", metrics=["acc"],
                  weighted_metrics=["acc"], sample_weight_mode="temporal")
    x = rng.integers(1, 20, (16, 7))
    x[:, :2] = 0
    x[2, :6] = 0
    y = rng.integers(0, 4, (16, 7, 1))
    sw = rng.uniform(0.5, 2.0, (16, 7)).astype(F32)
    history = model.fit(x, y, sample_weight=sw, batch_size=5, epochs=2, shuffle=False,
                        verbose=0, validation_data=(x, y, sw))
    record("masked_sequence", model, history, before, dict(x=x, y=y, sw=sw))


OPTIMIZERS = {
    "sgd_decay_nesterov_clipnorm": lambda: keras.optimizers.legacy.SGD(
        learning_rate=0.1, momentum=0.9, nesterov=True, decay=0.05, clipnorm=0.5),
    "adam_clipvalue_amsgrad": lambda: keras.optimizers.legacy.Adam(
        learning_rate=0.05, amsgrad=True, clipvalue=0.1),
}


def optimizers(rng):
    """Optimizer options through fit: decay counts steps across epochs; clipping per gradient."""
    x = rng.standard_normal((10, 3)).astype(F32)
    y = rng.standard_normal((10, 2)).astype(F32)
    put("optimizers/x", x)
    put("optimizers/y", y)
    for name, make in OPTIMIZERS.items():
        model = keras.Sequential([layers.Dense(4, activation="tanh", input_shape=(3,)),
                                  layers.Dense(2)])
        before = random_weights(model, rng)
        model.compile(make(), loss="mse")
        history = model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
        record(f"optimizers_{name}", model, history, before, {})


def main():
    rng = np.random.default_rng(20261122)
    tf.random.set_seed(0)
    for case in (multi_output, class_weights, temporal, masked, optimizers, masked_sequence):
        case(rng)
    put("meta/tf_keras", np.array(keras.__version__))
    put("meta/tensorflow", np.array(tf.__version__))
    write(output_path("training_reference.npz"), out)


if __name__ == "__main__":
    main()
