"""Write tests/fixtures/sequence_reference.npz: reference values from real Keras 2 for the
recurrent, embedding, merge, normalization, advanced-activation and wrapper layers.

This script is NOT part of gkeras; gkeras and its tests never import TensorFlow. It needs the
environment described in tests/fixtures/README.md:

    /tmp/tfref/bin/python tools/make_sequence_fixtures.py

and, given a path as its argument, it writes there instead (to compare a rerun with the
committed file).

Every case is a small functional model described by a JSON spec (stored with the case, so the
test rebuilds the same model in gkeras from the same description). For each case the file holds
`<group>/<case>/<array>` with

    spec        the model description (JSON, see `build`)
    x<i>        the model inputs; t<i> the training targets; r<i> random output weights
    w_<layer>_<k>  the initial weights of each layer (set with layer.set_weights)
    y<i>        model.predict(inputs)
    yt<i>       model(inputs, training=True)  (cases with "training_output")
    g<i>        d sum_j(y_j * r_j) / d x_i    (float inputs; a tf.GradientTape in inference mode)
    loss        the last value of train_on_batch(inputs, targets), SGD(learning_rate=0.1), 'mse',
                repeated `steps` times (1 unless the spec says otherwise)
    a_<layer>_<k>  the weights of each layer after those steps

The recurrent layers get Keras 2.2.5's defaults explicitly (recurrent_activation='hard_sigmoid',
unit_forget_bias, implementation=1, GRU reset_after=False), since tf_keras' own defaults differ.
"""
import json

import numpy as np

from fixture_writer import F32, Arrays, keras, output_path, tf, write

out = Arrays()
put = out.put


# ---------------------------------------------------------------------------
# model specs: {"inputs": [{"shape": [...], "dtype": ..., "batch_shape": [...]}],
#               "layers": [[name, class, kwargs, inbound, call_kwargs]], "outputs": [...]}
# kwargs values {"class": C, "kwargs": {...}} (or lists of them) are nested layers / cells;
# call_kwargs {"initial_state": [tensor names]}. A layer with several outputs names them
# "<name>:<i>".
# ---------------------------------------------------------------------------
def layer(name, cls, inbound, call=None, **kwargs):
    return [name, cls, kwargs, inbound, call or {}]


def nested(cls, **kwargs):
    return {"class": cls, "kwargs": kwargs}


def _resolve(value):
    if isinstance(value, dict) and "class" in value:
        return getattr(keras.layers, value["class"])(**{k: _resolve(v) for k, v in
                                                         value["kwargs"].items()})
    if isinstance(value, list) and value and isinstance(value[0], dict) and "class" in value[0]:
        return [_resolve(v) for v in value]
    return value


def build(spec):
    tensors, inputs = {}, []
    for i, inp in enumerate(spec["inputs"]):
        if "batch_shape" in inp:
            x = keras.Input(batch_shape=inp["batch_shape"], dtype=inp.get("dtype", "float32"))
        else:
            x = keras.Input(shape=inp["shape"], dtype=inp.get("dtype", "float32"))
        tensors[f"in{i}"] = x
        inputs.append(x)
    for name, cls, kwargs, inbound, call in spec["layers"]:
        obj = getattr(keras.layers, cls)(name=name, **{k: _resolve(v) for k, v in kwargs.items()})
        args = [tensors[n] for n in inbound]
        call_kwargs = {k: [tensors[n] for n in v] for k, v in call.items()}
        result = obj(args[0] if len(args) == 1 else args, **call_kwargs)
        if isinstance(result, (list, tuple)):
            for i, r in enumerate(result):
                tensors[f"{name}:{i}"] = r
        else:
            tensors[name] = result
    return keras.Model(inputs, [tensors[n] for n in spec["outputs"]])


def random_weight(rng, shape, name):
    if "variance" in name:
        return rng.uniform(0.5, 2.0, size=shape).astype(F32)
    return (rng.normal(size=shape) * 0.5).astype(F32)


def record(group, case, spec, inputs, seed, steps=1, training_output=False):
    rng = np.random.default_rng(seed)
    prefix = f"{group}/{case}"
    model = build(spec)
    put(f"{prefix}/spec", json.dumps({**spec, "steps": steps,
                                      "training_output": training_output}))
    initial = {}
    for lay in model.layers:
        weights = [random_weight(rng, w.shape, w.name) for w in lay.weights]
        if weights:
            lay.set_weights(weights)
            initial[lay.name] = weights
            for k, w in enumerate(weights):
                put(f"{prefix}/w_{lay.name}_{k}", w)
    for i, x in enumerate(inputs):
        put(f"{prefix}/x{i}", x)
    predictions = model.predict(inputs, verbose=0)
    predictions = predictions if isinstance(predictions, list) else [predictions]
    for i, y in enumerate(predictions):
        put(f"{prefix}/y{i}", y)
    if training_output:
        trained = model([tf.constant(x) for x in inputs], training=True)
        trained = trained if isinstance(trained, list) else [trained]
        for i, y in enumerate(trained):
            put(f"{prefix}/yt{i}", y.numpy())
        for lay in model.layers:
            if lay.name in initial:
                lay.set_weights(initial[lay.name])
    rs = [rng.normal(size=y.shape).astype(F32) for y in predictions]
    variables = [tf.Variable(x) if x.dtype.kind == "f" else tf.constant(x) for x in inputs]
    with tf.GradientTape() as tape:
        ys = model(variables, training=False)
        ys = ys if isinstance(ys, list) else [ys]
        total = tf.add_n([tf.reduce_sum(y * r) for y, r in zip(ys, rs)])
    watched = [i for i, v in enumerate(variables) if isinstance(v, tf.Variable)]
    grads = tape.gradient(total, [variables[i] for i in watched])
    for i, r in enumerate(rs):
        put(f"{prefix}/r{i}", r)
    for i, g in zip(watched, grads):
        put(f"{prefix}/g{i}", g.numpy())
    targets = [rng.normal(size=y.shape).astype(F32) for y in predictions]
    for i, t in enumerate(targets):
        put(f"{prefix}/t{i}", t)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    for _ in range(steps):
        loss = model.train_on_batch(inputs, targets)
    put(f"{prefix}/loss", np.asarray(loss, F32).reshape(-1)[:1].reshape(()))
    for lay in model.layers:
        for k, w in enumerate(lay.get_weights()):
            put(f"{prefix}/a_{lay.name}_{k}", w)


# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------
def sequences(rng, batch=3, steps=5, features=4, masked=False):
    x = rng.normal(size=(batch, steps, features)).astype(F32)
    if masked:
        x[0, -2:] = 0.0      # post-padding
        x[1, :2] = 0.0       # pre-padding
        x[2, 2] = 0.0        # a hole in the middle
    return x


def token_ids(rng, batch=3, steps=7, vocabulary=12):
    ids = rng.integers(1, vocabulary, size=(batch, steps)).astype(np.int32)
    ids[0, -3:] = 0
    ids[1, :2] = 0
    ids[2, 3] = 0
    return ids


LSTM_ARGS = dict(units=6, recurrent_activation="hard_sigmoid", unit_forget_bias=True,
                 implementation=1)
GRU_ARGS = dict(units=6, recurrent_activation="hard_sigmoid", reset_after=False,
                implementation=1)
RNNS = {
    "simple_rnn": ("SimpleRNN", dict(units=6)),
    "lstm": ("LSTM", LSTM_ARGS),
    "gru": ("GRU", GRU_ARGS),
    "gru_after": ("GRU", dict(GRU_ARGS, reset_after=True)),
}


def seq_spec(cls, masked=False, **kwargs):
    layers = []
    inbound = ["in0"]
    if masked:
        layers.append(layer("mask", "Masking", ["in0"], mask_value=0.0))
        inbound = ["mask"]
    layers.append(layer("rnn", cls, inbound, **kwargs))
    outputs = ["rnn"]
    if kwargs.get("return_state"):
        count = 3 if cls == "LSTM" else 2
        outputs = [f"rnn:{i}" for i in range(count)]
    return {"inputs": [{"shape": [None, 4]}], "layers": layers, "outputs": outputs}


def make_recurrent():
    rng = np.random.default_rng(4001)
    seed = 100
    for key, (cls, args) in RNNS.items():
        variants = {
            "last": dict(),
            "seq": dict(return_sequences=True),
            "backwards_seq": dict(return_sequences=True, go_backwards=True),
            "backwards_last": dict(go_backwards=True),
            "state": dict(return_state=True),
        }
        for variant, extra in variants.items():
            seed += 1
            record("recurrent", f"{key}_{variant}", seq_spec(cls, **args, **extra),
                   [sequences(rng)], seed)
        masked = {
            "masked_seq": dict(return_sequences=True),
            "masked_last": dict(),
            "masked_backwards_seq": dict(return_sequences=True, go_backwards=True),
            "masked_backwards_last": dict(go_backwards=True),
            "masked_state": dict(return_state=True, return_sequences=True),
        }
        for variant, extra in masked.items():
            seed += 1
            record("recurrent", f"{key}_{variant}", seq_spec(cls, masked=True, **args, **extra),
                   [sequences(rng, masked=True)], seed)
    record("recurrent", "lstm_sigmoid",
           seq_spec("LSTM", **dict(LSTM_ARGS, recurrent_activation="sigmoid"),
                    return_sequences=True), [sequences(rng)], 201)
    record("recurrent", "gru_after_sigmoid",
           seq_spec("GRU", **dict(GRU_ARGS, reset_after=True, recurrent_activation="sigmoid"),
                    return_sequences=True), [sequences(rng)], 202)
    record("recurrent", "lstm_no_forget_bias_relu",
           seq_spec("LSTM", **dict(LSTM_ARGS, unit_forget_bias=False, activation="relu"),
                    return_sequences=True), [sequences(rng)], 203)
    record("recurrent", "simple_rnn_odd_batch1",
           seq_spec("SimpleRNN", units=3, return_sequences=True),
           [sequences(rng, batch=1, steps=7, features=4)], 204)

    # initial states given as model inputs, with leading masked steps
    for key, cls, args, count in (("lstm", "LSTM", LSTM_ARGS, 2), ("gru", "GRU", GRU_ARGS, 1)):
        spec = {
            "inputs": [{"shape": [None, 4]}] + [{"shape": [6]}] * count,
            "layers": [layer("mask", "Masking", ["in0"], mask_value=0.0),
                       layer("rnn", cls, ["mask"],
                             call={"initial_state": [f"in{i + 1}" for i in range(count)]},
                             return_sequences=True, return_state=True, **args)],
            "outputs": [f"rnn:{i}" for i in range(count + 1)],
        }
        states = [rng.normal(size=(3, 6)).astype(F32) for _ in range(count)]
        record("recurrent", f"{key}_masked_initial_state", spec,
               [sequences(rng, masked=True)] + states, 210 + count)

    # Embedding(mask_zero) feeding the recurrent layers
    for key, (cls, args) in RNNS.items():
        spec = {"inputs": [{"shape": [None], "dtype": "int32"}],
                "layers": [layer("embedding", "Embedding", ["in0"], input_dim=12, output_dim=4,
                                 mask_zero=True),
                           layer("rnn", cls, ["embedding"], return_sequences=True, **args)],
                "outputs": ["rnn"]}
        record("recurrent", f"{key}_embedding_mask", spec, [token_ids(rng)], 220)

    # stacked cells
    cells = [nested("LSTMCell", units=6, recurrent_activation="hard_sigmoid",
                    unit_forget_bias=True, implementation=1),
             nested("GRUCell", units=5, recurrent_activation="hard_sigmoid", reset_after=True,
                    implementation=1)]
    for variant, masked, extra in (("stacked_seq", False, dict(return_sequences=True)),
                                   ("stacked_masked_backwards_seq", True,
                                    dict(return_sequences=True, go_backwards=True)),
                                   ("stacked_masked_last", True, dict())):
        record("recurrent", variant, seq_spec("RNN", masked=masked, cell=cells, **extra),
               [sequences(rng, masked=masked)], 230)


def make_bidirectional():
    rng = np.random.default_rng(4002)
    seed = 300
    for key, (cls, args) in RNNS.items():
        for merge_mode in ("concat", "sum", "mul", "ave", None):
            seed += 1
            wrapped = nested(cls, return_sequences=True, **args)
            spec = {"inputs": [{"shape": [None, 4]}],
                    "layers": [layer("mask", "Masking", ["in0"], mask_value=0.0),
                               layer("bidi", "Bidirectional", ["mask"], layer=wrapped,
                                     merge_mode=merge_mode)],
                    "outputs": ["bidi"] if merge_mode else ["bidi:0", "bidi:1"]}
            record("bidirectional", f"{key}_{merge_mode or 'none'}_masked_seq", spec,
                   [sequences(rng, masked=True)], seed)
        seed += 1
        spec = {"inputs": [{"shape": [None, 4]}],
                "layers": [layer("bidi", "Bidirectional", ["in0"], layer=nested(cls, **args))],
                "outputs": ["bidi"]}
        record("bidirectional", f"{key}_concat_last", spec, [sequences(rng)], seed)
    count = 5  # output, forward h, c, backward h, c
    spec = {"inputs": [{"shape": [None, 4]}],
            "layers": [layer("mask", "Masking", ["in0"], mask_value=0.0),
                       layer("bidi", "Bidirectional", ["mask"],
                             layer=nested("LSTM", return_state=True, **LSTM_ARGS))],
            "outputs": [f"bidi:{i}" for i in range(count)]}
    record("bidirectional", "lstm_concat_masked_state", spec, [sequences(rng, masked=True)], 350)


def make_wrappers_embeddings():
    rng = np.random.default_rng(4003)
    record("wrappers", "time_distributed_dense",
           {"inputs": [{"shape": [5, 4]}],
            "layers": [layer("td", "TimeDistributed", ["in0"],
                             layer=nested("Dense", units=3, activation="tanh"))],
            "outputs": ["td"]}, [sequences(rng)], 401)
    record("wrappers", "time_distributed_masked",
           {"inputs": [{"shape": [5, 4]}],
            "layers": [layer("mask", "Masking", ["in0"], mask_value=0.0),
                       layer("td", "TimeDistributed", ["mask"],
                             layer=nested("Dense", units=4, activation="tanh")),
                       layer("rnn", "LSTM", ["td"], return_sequences=True, **LSTM_ARGS)],
            "outputs": ["rnn"]}, [sequences(rng, masked=True)], 402)
    record("embeddings", "basic",
           {"inputs": [{"shape": [6], "dtype": "int32"}],
            "layers": [layer("embedding", "Embedding", ["in0"], input_dim=10, output_dim=3)],
            "outputs": ["embedding"]}, [token_ids(rng, batch=4, steps=6, vocabulary=10)], 403)
    record("embeddings", "flatten_dense",
           {"inputs": [{"shape": [6], "dtype": "int32"}],
            "layers": [layer("embedding", "Embedding", ["in0"], input_dim=10, output_dim=3,
                             input_length=6),
                       layer("flatten", "Flatten", ["embedding"]),
                       layer("dense", "Dense", ["flatten"], units=2)],
            "outputs": ["dense"]}, [token_ids(rng, batch=4, steps=6, vocabulary=10)], 404)
    # masks meeting in merge layers before a recurrent layer
    for merge, kwargs in (("Add", {}), ("Concatenate", {"axis": -1}), ("Multiply", {})):
        spec = {"inputs": [{"shape": [7], "dtype": "int32"}] * 2,
                "layers": [layer("embedding_a", "Embedding", ["in0"], input_dim=12, output_dim=4,
                                 mask_zero=True),
                           layer("embedding_b", "Embedding", ["in1"], input_dim=12, output_dim=4,
                                 mask_zero=True),
                           layer("merge", merge, ["embedding_a", "embedding_b"], **kwargs),
                           layer("rnn", "GRU", ["merge"], return_sequences=True, **GRU_ARGS)],
                "outputs": ["rnn"]}
        second = token_ids(rng)
        second[2, 5] = 0
        record("wrappers", f"mask_through_{merge.lower()}", spec, [token_ids(rng), second], 405)


def make_merge():
    rng = np.random.default_rng(4004)
    seed = 500

    def branch_spec(merge, kwargs, shapes, units):
        layers = [layer(f"dense_{i}", "Dense", [f"in{i}"], units=u) for i, u in enumerate(units)]
        layers.append(layer("merge", merge, [f"dense_{i}" for i in range(len(shapes))],
                            **kwargs))
        return {"inputs": [{"shape": list(s[1:])} for s in shapes], "layers": layers,
                "outputs": ["merge"]}

    cases = [
        ("add", "Add", {}, [(4, 3), (4, 3), (4, 3)], [5, 5, 5]),
        ("subtract", "Subtract", {}, [(4, 3), (4, 2)], [5, 5]),
        ("multiply", "Multiply", {}, [(4, 3), (4, 3)], [5, 5]),
        ("average", "Average", {}, [(4, 3), (4, 3), (4, 2)], [5, 5, 5]),
        ("maximum", "Maximum", {}, [(4, 3), (4, 3)], [5, 5]),
        ("minimum", "Minimum", {}, [(4, 3), (4, 3), (4, 3)], [5, 5, 5]),
        ("add_ranks", "Add", {}, [(4, 3), (4, 2, 3)], [5, 5]),
        ("concatenate", "Concatenate", {"axis": -1}, [(4, 3), (4, 2)], [5, 2]),
        ("concatenate_axis1", "Concatenate", {"axis": 1}, [(4, 2, 3), (4, 3, 3)], [5, 5]),
        ("dot", "Dot", {"axes": 1}, [(4, 3), (4, 2)], [5, 5]),
        ("dot_normalize", "Dot", {"axes": -1, "normalize": True}, [(4, 3), (4, 2)], [5, 5]),
        ("dot_3d", "Dot", {"axes": [1, 2]}, [(4, 3, 2), (4, 5, 3)], [4, 3]),
    ]
    for name, merge, kwargs, shapes, units in cases:
        seed += 1
        inputs = [rng.normal(size=s).astype(F32) for s in shapes]
        record("merge", name, branch_spec(merge, kwargs, shapes, units), inputs, seed)


def make_normalization():
    rng = np.random.default_rng(4005)
    cases = [
        ("dense_axis_last", (6, 3), {}),
        ("conv_axis_last", (4, 3, 3, 2), {}),                    # fused in tf_keras
        ("conv_axis1", (4, 3, 2, 2), {"axis": 1}),               # fused, channels first
        ("sequence_axis1", (4, 5, 3), {"axis": 1, "momentum": 0.8}),
        ("no_center_scale", (6, 3), {"center": False, "scale": False, "epsilon": 0.01}),
        ("volume_axis_last", (3, 2, 2, 2, 3), {"momentum": 0.5}),  # fused, 5-D
    ]
    for i, (name, shape, kwargs) in enumerate(cases):
        spec = {"inputs": [{"shape": list(shape[1:])}],
                "layers": [layer("bn", "BatchNormalization", ["in0"], **kwargs)],
                "outputs": ["bn"]}
        x = (rng.normal(size=shape) * 2 + 1).astype(F32)
        record("normalization", name, spec, [x], 600 + i, steps=3, training_output=True)


def make_advanced_activations():
    rng = np.random.default_rng(4006)
    cases = [
        ("leaky_relu", "LeakyReLU", {}),
        ("leaky_relu_alpha", "LeakyReLU", {"alpha": 0.1}),
        ("prelu", "PReLU", {}),
        ("prelu_shared", "PReLU", {"shared_axes": [1, 2]}),
        ("elu", "ELU", {"alpha": 0.7}),
        ("thresholded_relu", "ThresholdedReLU", {"theta": 0.5}),
        ("softmax_axis1", "Softmax", {"axis": 1}),
        ("relu", "ReLU", {}),
        ("relu_capped_leaky_threshold", "ReLU",
         {"max_value": 1.5, "negative_slope": 0.2, "threshold": 0.3}),
    ]
    for i, (name, cls, kwargs) in enumerate(cases):
        spec = {"inputs": [{"shape": [3, 2, 4]}],
                "layers": [layer("act", cls, ["in0"], **kwargs)], "outputs": ["act"]}
        x = (rng.normal(size=(2, 3, 2, 4)) * 2).astype(F32)
        record("activations", name, spec, [x], 700 + i)


def make_stateful():
    rng = np.random.default_rng(4007)
    model = keras.Sequential([keras.layers.LSTM(stateful=True, batch_input_shape=(3, 5, 4),
                                                **LSTM_ARGS)])
    weights = [random_weight(rng, w.shape, w.name) for w in model.weights]
    model.set_weights(weights)
    x1, x2 = sequences(rng), sequences(rng)
    for k, w in enumerate(weights):
        put(f"stateful/lstm/w_rnn_{k}", w)
    put("stateful/lstm/x1", x1)
    put("stateful/lstm/x2", x2)
    put("stateful/lstm/y1", model.predict(x1, batch_size=3, verbose=0))
    put("stateful/lstm/y2", model.predict(x2, batch_size=3, verbose=0))
    model.reset_states()
    put("stateful/lstm/y2_reset", model.predict(x2, batch_size=3, verbose=0))


def main():
    keras.utils.set_random_seed(0)
    put("meta/versions/tf_keras", keras.__version__)
    put("meta/versions/tensorflow", tf.__version__)
    make_recurrent()
    make_bidirectional()
    make_wrappers_embeddings()
    make_merge()
    make_normalization()
    make_advanced_activations()
    make_stateful()
    write(output_path("sequence_reference.npz"), out)


if __name__ == "__main__":
    main()
