"""Write tests/fixtures/keras_reference.npz: reference values from real Keras 2.

This script is NOT part of gkeras and gkeras/tests never import TensorFlow.
It needs a separate environment with the reference implementation:

    python3 -m venv /tmp/tfref
    /tmp/tfref/bin/pip install tensorflow-cpu==2.21.0 tf_keras==2.21.0 \
        scikit-learn h5py
    /tmp/tfref/bin/python tools/make_keras_fixtures.py

and, given a path as its argument, it writes there instead (to compare a rerun with the
committed file).

Keys in the output are flat, ``<group>/<case>/<array>``; see
tests/fixtures/README.md for the description of every key.  All float arrays
are float32; every random input comes from a fixed NumPy seed.
"""
import numpy as np

from fixture_writer import F32, Arrays, keras, output_path, tf, write

out = Arrays()
put = out.put


def t(a):
    return tf.constant(np.asarray(a, dtype=F32))


# ---------------------------------------------------------------------------
# a. activations
# ---------------------------------------------------------------------------
def act_input(rng, shape, specials, scale=3.0):
    """Uniform(-scale, scale) values with `specials` written into the front."""
    n = int(np.prod(shape))
    x = rng.uniform(-scale, scale, size=n).astype(F32)
    specials = np.asarray(specials, dtype=F32)
    assert len(specials) <= n
    x[: len(specials)] = specials
    return x.reshape(shape)


def make_activations():
    rng = np.random.default_rng(1001)
    common = [0.0, 1e-3, -1e-3, 1.0, -1.0, 3.0, -3.0]
    A = keras.activations
    cases = [
        # name, fn, input shape, specials, scale
        ("relu", lambda x: A.relu(x), (4, 6), common, 3.0),
        ("relu_alpha", lambda x: A.relu(x, alpha=0.1), (4, 6), common, 3.0),
        ("relu_max_value", lambda x: A.relu(x, max_value=6.0), (4, 6),
         common + [6.0, 5.999, 6.001, 7.5, -7.5], 9.0),
        ("relu_threshold", lambda x: A.relu(x, threshold=0.5), (4, 6),
         common + [0.5, 0.499, 0.501, -0.5], 3.0),
        ("sigmoid", A.sigmoid, (4, 6), common, 3.0),
        ("hard_sigmoid", A.hard_sigmoid, (4, 6),
         common + [2.5, -2.5, 2.49, -2.49, 2.51, -2.51], 3.0),
        ("softmax", lambda x: A.softmax(x, axis=-1), (4, 5), common, 3.0),
        ("softmax_axis1", lambda x: A.softmax(x, axis=1), (2, 3, 4), common,
         3.0),
        ("softsign", A.softsign, (4, 6), common, 3.0),
        ("softplus", A.softplus, (4, 6), common, 3.0),
        ("tanh", A.tanh, (4, 6), common, 3.0),
        ("selu", A.selu, (4, 6), common, 3.0),
        ("elu", lambda x: A.elu(x, alpha=1.0), (4, 6), common, 3.0),
        ("elu_alpha05", lambda x: A.elu(x, alpha=0.5), (4, 6), common, 3.0),
        ("exponential", A.exponential, (4, 6), common, 3.0),
        ("linear", A.linear, (4, 6), common, 3.0),
    ]
    for name, fn, shape, specials, scale in cases:
        x = act_input(rng, shape, specials, scale)
        r = rng.normal(size=shape).astype(F32)
        xt = tf.Variable(x)
        with tf.GradientTape() as tape:
            y = fn(xt)
            s = tf.reduce_sum(y * t(r))
        g = tape.gradient(s, xt)
        put(f"activations/{name}/x", x)
        put(f"activations/{name}/y", y.numpy())
        put(f"activations/{name}/r", r)
        put(f"activations/{name}/grad", g.numpy())


# ---------------------------------------------------------------------------
# b. losses
# ---------------------------------------------------------------------------
def softmax_np(z, axis=-1):
    z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=axis, keepdims=True)).astype(F32)


def one_hot(idx, k):
    return np.eye(k, dtype=F32)[idx]


def make_losses():
    rng = np.random.default_rng(2002)
    n, k = 6, 5
    L = keras.losses

    def normal():
        return rng.normal(size=(n, k)).astype(F32)

    def positive():
        return rng.uniform(0.1, 3.0, size=(n, k)).astype(F32)

    def probs():
        return softmax_np(rng.normal(scale=1.5, size=(n, k)).astype(F32))

    def pm1():
        return np.where(rng.random((n, k)) < 0.5, -1.0, 1.0).astype(F32)

    def labels01():
        y = (rng.random((n, k)) < 0.5).astype(F32)
        return y

    cls = rng.integers(0, k, size=n)
    cls2 = rng.integers(0, k, size=n)

    cases = {
        "mean_squared_error": (L.mean_squared_error, normal(), normal()),
        "mean_absolute_error": (L.mean_absolute_error, normal(), normal()),
        "mean_absolute_percentage_error": (
            L.mean_absolute_percentage_error, positive(), positive()),
        "mean_squared_logarithmic_error": (
            L.mean_squared_logarithmic_error, positive(), positive()),
        "squared_hinge": (L.squared_hinge, pm1(),
                          rng.uniform(-2, 2, (n, k)).astype(F32)),
        "hinge": (L.hinge, pm1(), rng.uniform(-2, 2, (n, k)).astype(F32)),
        "categorical_hinge": (L.categorical_hinge, one_hot(cls, k),
                              rng.uniform(-2, 2, (n, k)).astype(F32)),
        "logcosh": (L.logcosh, normal(), normal()),
        "categorical_crossentropy": (L.categorical_crossentropy,
                                     one_hot(cls2, k), probs()),
        "sparse_categorical_crossentropy": (
            L.sparse_categorical_crossentropy,
            rng.integers(0, k, size=n).astype(np.int32), probs()),
        "binary_crossentropy": (L.binary_crossentropy, labels01(),
                                rng.uniform(0.02, 0.98, (n, k)).astype(F32)),
        "kullback_leibler_divergence": (L.kullback_leibler_divergence,
                                        probs(), probs()),
        "poisson": (L.poisson, positive(), positive()),
        "cosine_proximity": (L.cosine_similarity, normal(), normal()),
    }
    # Extreme (clipped) probabilities: exercises the epsilon=1e-7 clipping of
    # the probability-space formulas.
    p = probs()
    p[0] = [1e-9, 1e-9, 1e-9, 1e-9, 1.0 - 4e-9]
    p[1] = [0.5, 0.5 - 2e-9, 1e-9, 5e-10, 5e-10]
    yt = one_hot(cls, k)
    yt[0] = one_hot(0, k)
    yt[1] = one_hot(3, k)
    cases["categorical_crossentropy_clip"] = (
        L.categorical_crossentropy, yt, p)
    pb = rng.uniform(0.02, 0.98, (n, k)).astype(F32)
    pb[0] = [1e-9, 1.0 - 1e-9, 1e-9, 1.0, 0.5]
    yb = labels01()
    yb[0] = [1, 0, 0, 1, 1]
    cases["binary_crossentropy_clip"] = (L.binary_crossentropy, yb, pb)

    for name, (fn, y_true, y_pred) in cases.items():
        loss = fn(tf.constant(y_true), t(y_pred)).numpy()
        assert loss.shape == (n,), (name, loss.shape)
        put(f"losses/{name}/y_true", y_true)
        put(f"losses/{name}/y_pred", y_pred)
        put(f"losses/{name}/loss", loss)

    # Crossentropy on the output of a softmax / sigmoid Dense layer.
    # tf_keras recovers the logits from the activation's output tensor
    # (`_keras_logits`), so the loss is computed from logits, not from
    # clipped probabilities.  We record both to make this visible.
    for name, act, loss_fn in [
        ("softmax_dense_categorical_crossentropy", "softmax",
         L.categorical_crossentropy),
        ("sigmoid_dense_binary_crossentropy", "sigmoid",
         L.binary_crossentropy),
    ]:
        rs = np.random.default_rng(2100 if act == "softmax" else 2200)
        x = rs.normal(scale=2.0, size=(6, 4)).astype(F32)
        kernel = rs.normal(scale=8.0, size=(4, 3)).astype(F32)
        bias = rs.normal(scale=1.0, size=(3,)).astype(F32)
        if act == "softmax":
            y_true = one_hot(rs.integers(0, 3, size=6), 3)
        else:
            y_true = (rs.random((6, 3)) < 0.5).astype(F32)
        model = keras.Sequential(
            [keras.layers.Dense(3, activation=act, input_shape=(4,))])
        model.set_weights([kernel, bias])
        with tf.GradientTape() as tape:
            probs_out = model(t(x))
            per_sample = loss_fn(tf.constant(y_true), probs_out)
            mean_loss = tf.reduce_mean(per_sample)
        gk, gb = tape.gradient(mean_loss, model.trainable_weights)
        logits = x @ kernel + bias
        pr = probs_out.numpy()
        # probability-space (clipped) variant, for comparison
        eps = 1e-7
        pc = np.clip(pr.astype(np.float64), eps, 1 - eps)
        if act == "softmax":
            from_probs = -(y_true * np.log(pc)).sum(-1)
            from_logits = loss_fn(tf.constant(y_true), t(logits),
                                  from_logits=True).numpy()
        else:
            from_probs = -(y_true * np.log(pc + eps)
                           + (1 - y_true) * np.log(1 - pc + eps)).mean(-1)
            from_logits = loss_fn(tf.constant(y_true), t(logits),
                                  from_logits=True).numpy()
        ps = per_sample.numpy()
        assert (pr < 1e-7).any(), f"{name}: no saturated probabilities"
        uses_logits = np.allclose(ps, from_logits, rtol=1e-5, atol=1e-5)
        uses_probs = np.allclose(ps, from_probs, rtol=1e-5, atol=1e-5)
        print(f"{name}: matches from_logits={uses_logits} "
              f"matches clipped probs={uses_probs}")
        assert uses_logits and not uses_probs
        put(f"losses/{name}/x", x)
        put(f"losses/{name}/kernel", kernel)
        put(f"losses/{name}/bias", bias)
        put(f"losses/{name}/y_true", y_true)
        put(f"losses/{name}/y_pred", pr)
        put(f"losses/{name}/loss", ps)
        put(f"losses/{name}/loss_clipped_probs", from_probs.astype(F32))
        put(f"losses/{name}/grad_kernel", gk.numpy())
        put(f"losses/{name}/grad_bias", gb.numpy())


# ---------------------------------------------------------------------------
# c. dense
# ---------------------------------------------------------------------------
def make_dense():
    rng = np.random.default_rng(3003)
    for rank, shape in [("rank2", (5, 4)), ("rank3", (2, 3, 4))]:
        for use_bias in (True, False):
            for act in ("relu", "tanh"):
                case = f"{rank}_{'bias' if use_bias else 'nobias'}_{act}"
                x = rng.normal(size=shape).astype(F32)
                kernel = rng.normal(scale=0.8, size=(4, 3)).astype(F32)
                bias = rng.normal(scale=0.5, size=(3,)).astype(F32)
                layer = keras.layers.Dense(3, activation=act,
                                           use_bias=use_bias)
                layer.build(shape)
                layer.set_weights([kernel, bias] if use_bias else [kernel])
                y = layer(t(x)).numpy()
                assert y.shape == shape[:-1] + (3,)
                put(f"dense/{case}/x", x)
                put(f"dense/{case}/kernel", kernel)
                if use_bias:
                    put(f"dense/{case}/bias", bias)
                put(f"dense/{case}/y", y)

    # One SGD(0.1) train_on_batch step.
    rs = np.random.default_rng(3100)
    x = rs.normal(size=(8, 6)).astype(F32)
    y = one_hot(rs.integers(0, 3, size=8), 3)
    w = [
        rs.normal(scale=0.5, size=(6, 4)).astype(F32),
        rs.normal(scale=0.1, size=(4,)).astype(F32),
        rs.normal(scale=0.5, size=(4, 3)).astype(F32),
        rs.normal(scale=0.1, size=(3,)).astype(F32),
    ]
    model = keras.Sequential([
        keras.layers.Dense(4, activation="relu", input_shape=(6,)),
        keras.layers.Dense(3, activation="softmax"),
    ])
    model.set_weights(w)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1),
                  loss="categorical_crossentropy")
    y_pred_before = model.predict(x, verbose=0)
    loss = model.train_on_batch(x, y)
    w_after = model.get_weights()
    names = ["kernel0", "bias0", "kernel1", "bias1"]
    put("dense/train_step/x", x)
    put("dense/train_step/y", y)
    put("dense/train_step/y_pred_before", y_pred_before)
    put("dense/train_step/loss", np.float32(loss))
    for nm, a, b in zip(names, w, w_after):
        put(f"dense/train_step/{nm}", a)
        put(f"dense/train_step/{nm}_after", b)


# ---------------------------------------------------------------------------
# e. optimizers
# ---------------------------------------------------------------------------
OPTIMIZERS = [
    ("sgd", "SGD(learning_rate=0.1)",
     lambda: keras.optimizers.SGD(learning_rate=0.1)),
    ("sgd_momentum", "SGD(learning_rate=0.1, momentum=0.9)",
     lambda: keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)),
    ("sgd_nesterov", "SGD(learning_rate=0.1, momentum=0.9, nesterov=True)",
     lambda: keras.optimizers.SGD(learning_rate=0.1, momentum=0.9,
                                  nesterov=True)),
    ("rmsprop", "RMSprop(learning_rate=0.01)",
     lambda: keras.optimizers.RMSprop(learning_rate=0.01)),
    ("rmsprop_rho08", "RMSprop(learning_rate=0.01, rho=0.8)",
     lambda: keras.optimizers.RMSprop(learning_rate=0.01, rho=0.8)),
    ("adam", "Adam(learning_rate=0.01)",
     lambda: keras.optimizers.Adam(learning_rate=0.01)),
    ("adam_amsgrad", "Adam(learning_rate=0.01, amsgrad=True)",
     lambda: keras.optimizers.Adam(learning_rate=0.01, amsgrad=True)),
    # With beta_2=0.999 the 5-step AMSGrad trajectory differs from Adam only
    # by ~1e-5; beta_2=0.5 makes the running max clearly visible.
    ("adam_amsgrad_beta2", "Adam(learning_rate=0.01, beta_2=0.5, amsgrad=True)",
     lambda: keras.optimizers.Adam(learning_rate=0.01, beta_2=0.5,
                                   amsgrad=True)),
    ("adam_beta2", "Adam(learning_rate=0.01, beta_2=0.5)",
     lambda: keras.optimizers.Adam(learning_rate=0.01, beta_2=0.5)),
    ("adagrad", "Adagrad(learning_rate=0.1)",
     lambda: keras.optimizers.Adagrad(learning_rate=0.1)),
    ("adadelta", "Adadelta(learning_rate=1.0)",
     lambda: keras.optimizers.Adadelta(learning_rate=1.0)),
    ("adamax", "Adamax(learning_rate=0.01)",
     lambda: keras.optimizers.Adamax(learning_rate=0.01)),
    ("nadam", "Nadam(learning_rate=0.01)",
     lambda: keras.optimizers.Nadam(learning_rate=0.01)),
    ("sgd_clipnorm", "SGD(learning_rate=0.1, clipnorm=1.0)",
     lambda: keras.optimizers.SGD(learning_rate=0.1, clipnorm=1.0)),
    ("sgd_clipvalue", "SGD(learning_rate=0.1, clipvalue=0.05)",
     lambda: keras.optimizers.SGD(learning_rate=0.1, clipvalue=0.05)),
    ("legacy_sgd_decay", "legacy.SGD(learning_rate=0.1, decay=0.1)",
     lambda: keras.optimizers.legacy.SGD(learning_rate=0.1, decay=0.1)),
    ("legacy_adam_decay", "legacy.Adam(learning_rate=0.01, decay=0.1)",
     lambda: keras.optimizers.legacy.Adam(learning_rate=0.01, decay=0.1)),
]

# Extra: the same hyper-parameters with tf_keras' *legacy* (optimizer_v2)
# classes, which follow the older Keras 2.x update rules.  Where these differ
# from the default classes above (Adagrad, Nadam) both are recorded so the
# difference is visible.
_LEGACY_SAME = {
    "sgd_momentum": ("SGD", dict(learning_rate=0.1, momentum=0.9)),
    "sgd_nesterov": ("SGD", dict(learning_rate=0.1, momentum=0.9,
                                 nesterov=True)),
    "rmsprop": ("RMSprop", dict(learning_rate=0.01)),
    "adam": ("Adam", dict(learning_rate=0.01)),
    "adam_amsgrad": ("Adam", dict(learning_rate=0.01, amsgrad=True)),
    "adagrad": ("Adagrad", dict(learning_rate=0.1)),
    "adadelta": ("Adadelta", dict(learning_rate=1.0)),
    "adamax": ("Adamax", dict(learning_rate=0.01)),
    "nadam": ("Nadam", dict(learning_rate=0.01)),
    # a large epsilon shows where it sits: outside the square root in these
    # classes (and in Keras 2.2), inside it in tf_keras' default ones
    "rmsprop_eps01": ("RMSprop", dict(learning_rate=0.01, epsilon=0.1)),
    "adagrad_eps01": ("Adagrad", dict(learning_rate=0.1, epsilon=0.1)),
}


def _legacy_factory(cls, kw):
    return lambda: getattr(keras.optimizers.legacy, cls)(**kw)


for _name, (_cls, _kw) in _LEGACY_SAME.items():
    _args = ", ".join(f"{k}={v}" for k, v in _kw.items())
    OPTIMIZERS.append((f"legacy_{_name}", f"legacy.{_cls}({_args})",
                       _legacy_factory(_cls, _kw)))


def make_optimizers():
    rng = np.random.default_rng(5005)
    steps = 5
    w0 = rng.normal(size=(3, 4)).astype(F32)
    b0 = rng.normal(size=(4,)).astype(F32)
    # Per-step gradient scale: the tiny 4th step makes Adam's second moment
    # shrink (so AMSGrad's running max matters), leaves the 4th step below
    # clipnorm=1.0 and many of its entries below clipvalue=0.05.
    scale = np.array([1.0, 2.0, 0.5, 0.01, 1.0], dtype=F32)
    gw = (rng.normal(size=(steps, 3, 4)) * scale[:, None, None]).astype(F32)
    gb = (rng.normal(size=(steps, 4)) * scale[:, None]).astype(F32)
    put("optimizers/inputs/w0", w0)
    put("optimizers/inputs/b0", b0)
    put("optimizers/inputs/gw", gw)
    put("optimizers/inputs/gb", gb)
    for name, ctor, make in OPTIMIZERS:
        opt = make()
        w = tf.Variable(w0, name="w")
        b = tf.Variable(b0, name="b")
        ws, bs = [], []
        for i in range(steps):
            opt.apply_gradients([(t(gw[i]), w), (t(gb[i]), b)])
            ws.append(w.numpy().copy())
            bs.append(b.numpy().copy())
        assert int(opt.iterations.numpy()) == steps
        put(f"optimizers/{name}/ctor", ctor)
        put(f"optimizers/{name}/w", np.stack(ws))
        put(f"optimizers/{name}/b", np.stack(bs))
    for name, _, _ in OPTIMIZERS:
        if name.startswith("legacy_") and name[7:] in dict(
                (n, 1) for n, _, _ in OPTIMIZERS):
            d = np.abs(out[f"optimizers/{name}/w"]
                       - out[f"optimizers/{name[7:]}/w"]).max()
            print(f"optimizers: max |{name} - {name[7:]}| = {d:.3g}")
    for a, b, tol in [("adam_amsgrad", "adam", 1e-6),
                      ("adam_amsgrad_beta2", "adam_beta2", 1e-3)]:
        d = np.abs(out[f"optimizers/{a}/w"] - out[f"optimizers/{b}/w"]).max()
        print(f"optimizers: max |{a} - {b}| = {d:.3g}")
        assert d > tol, f"{a} indistinguishable from {b}"


def main():
    np.random.seed(0)
    tf.random.set_seed(0)
    keras.utils.set_random_seed(0)
    put("meta/versions/tf_keras", keras.__version__)
    put("meta/versions/tensorflow", tf.__version__)
    put("meta/versions/numpy", np.__version__)
    make_activations()
    make_losses()
    make_dense()
    make_optimizers()
    write(output_path("keras_reference.npz"), out)


if __name__ == "__main__":
    main()
