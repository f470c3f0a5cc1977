"""gkeras.metrics: accuracies against hand-computed and NumPy values, losses as metrics, lookups."""
import numpy as np
import pytest

from gkeras import backend as K
from gkeras import losses, metrics
from gkeras.backend import autodiff as ad


def _value(backend, fn, y_true, y_pred, gradient=False, **kwargs):
    out = fn(backend.asarray(y_true), ad.Variable(backend.asarray(y_pred)), **kwargs)
    assert isinstance(out, ad.Tensor)
    assert out.requires_grad == gradient
    return backend.to_numpy(ad.raw(out))


def test_binary_accuracy_threshold(backend):
    y_true = np.array([[1, 0, 1, 0], [0, 0, 1, 1]], np.float32)
    y_pred = np.array([[0.7, 0.5, 0.51, 0.2], [0.49, 0.9, 0.6, 0.5]], np.float32)
    # 0.5 is not above the threshold, so it predicts 0
    got = _value(backend, metrics.binary_accuracy, y_true, y_pred)
    np.testing.assert_array_equal(got, [1.0, 0.5])
    assert got.dtype == np.float32
    got = _value(backend, metrics.binary_accuracy, y_true, y_pred, threshold=0.55)
    np.testing.assert_array_equal(got, [0.75, 0.5])


def test_categorical_accuracy(backend):
    y_true = np.eye(3, dtype=np.float32)[[0, 2, 1, 1]]
    y_pred = np.array([[.8, .1, .1], [.2, .5, .3], [.1, .6, .3], [.3, .3, .4]], np.float32)
    np.testing.assert_array_equal(_value(backend, metrics.categorical_accuracy, y_true, y_pred),
                                  [1, 0, 1, 0])


@pytest.mark.parametrize('labels', [np.array([0, 2, 1]), np.array([[0], [2], [1]]),
                                    np.array([0., 2., 1.], np.float32)])
def test_sparse_categorical_accuracy_label_shapes(backend, labels):
    y_pred = np.array([[.8, .1, .1], [.2, .5, .3], [.1, .6, .3]], np.float32)
    got = _value(backend, metrics.sparse_categorical_accuracy, labels, y_pred)
    np.testing.assert_array_equal(got, [1, 0, 1])


def test_sparse_labels_of_the_wrong_shape_are_rejected(backend):
    with pytest.raises(ValueError, match='shape'):
        metrics.sparse_categorical_accuracy(backend.asarray(np.zeros((3, 2))),
                                            backend.asarray(np.zeros((3, 2))))


def _in_top_k_reference(scores, label, k):
    """A plain loop: hit when fewer than k classes score strictly higher (tf.math.in_top_k)."""
    higher = sum(1 for s in scores if s > scores[label])
    return float(higher < k)


def test_top_k_categorical_accuracy(backend, rng):
    scores = rng.random((20, 8)).astype(np.float32)
    labels = rng.integers(0, 8, 20)
    for k in (1, 3, 5):
        expected = [_in_top_k_reference(s, l, k) for s, l in zip(scores, labels)]
        got = _value(backend, metrics.top_k_categorical_accuracy,
                     np.eye(8, dtype=np.float32)[labels], scores, k=k)
        np.testing.assert_array_equal(got, expected)
        got = _value(backend, metrics.sparse_top_k_categorical_accuracy, labels, scores, k=k)
        np.testing.assert_array_equal(got, expected)
    # default k is 5
    expected = [_in_top_k_reference(s, l, 5) for s, l in zip(scores, labels)]
    np.testing.assert_array_equal(
        _value(backend, metrics.sparse_top_k_categorical_accuracy, labels[:, None], scores),
        expected)


def test_top_k_counts_ties_at_the_boundary_as_hits(backend):
    scores = np.array([[0.4, 0.3, 0.3, 0.0], [0.4, 0.3, 0.3, 0.0]], np.float32)
    np.testing.assert_array_equal(
        _value(backend, metrics.sparse_top_k_categorical_accuracy, np.array([2, 3]), scores, k=2),
        [1, 0])


def test_accuracy_is_elementwise_equality(backend):
    np.testing.assert_array_equal(
        _value(backend, metrics.accuracy, np.array([[1, 2], [3, 4]]), np.array([[1, 0], [3, 4]])),
        [[1, 0], [1, 1]])


def test_per_sample_shape_for_sequences(backend, rng):
    y_pred = rng.random((2, 5, 4)).astype(np.float32)
    labels = rng.integers(0, 4, (2, 5))
    got = _value(backend, metrics.sparse_categorical_accuracy, labels, y_pred)
    np.testing.assert_array_equal(got, (y_pred.argmax(-1) == labels).astype(np.float32))
    got = _value(backend, metrics.binary_accuracy, (y_pred > 0.3).astype(np.float32), y_pred)
    np.testing.assert_array_equal(got, ((y_pred > 0.5) == (y_pred > 0.3)).mean(-1))


@pytest.mark.parametrize('name', ['mean_squared_error', 'mse', 'mae', 'mape', 'msle', 'hinge',
                                  'squared_hinge', 'categorical_hinge', 'logcosh',
                                  'categorical_crossentropy', 'binary_crossentropy', 'kld',
                                  'poisson'])
def test_losses_are_metrics(backend, rng, name):
    # the same functions, as Keras 2 imports them into its metrics module: a loss written with
    # metrics.binary_crossentropy (Keras 2.0's variational autoencoder) has its gradient; the
    # training loop computes metrics without a tape
    y_true = rng.uniform(0.1, 1, (4, 3)).astype(np.float32)
    y_pred = rng.uniform(0.1, 1, (4, 3)).astype(np.float32)
    assert metrics.get(name) is losses.get(name)
    got = _value(backend, metrics.get(name), y_true, y_pred, gradient=True)
    loss = losses.get(name)(backend.asarray(y_true), ad.constant(backend.asarray(y_pred)))
    np.testing.assert_array_equal(got, backend.to_numpy(ad.raw(loss)))
    assert metrics.serialize(metrics.get(name)) == losses.serialize(losses.get(name))


def test_mean_squared_error_metric_value(backend, rng):
    y_true, y_pred = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 4, 3))
    np.testing.assert_allclose(_value(backend, metrics.mse, y_true, y_pred, gradient=True),
                               ((y_true - y_pred) ** 2).mean(-1), rtol=1e-12)


def test_sparse_categorical_crossentropy_metric(backend):
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], np.float32)
    got = _value(backend, metrics.get('sparse_categorical_crossentropy'), np.array([0, 1]), probs,
                 gradient=True)
    np.testing.assert_allclose(got, -np.log([0.7, 0.1]), rtol=1e-5)


@pytest.mark.parametrize('name', ['cosine_proximity', 'cosine_similarity', 'cosine'])
def test_cosine_metric_is_the_similarity(backend, rng, name):
    # tf.keras 2.x reports the metric as +cos (the loss is -cos)
    y_true, y_pred = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    norms = np.linalg.norm(y_true, axis=-1) * np.linalg.norm(y_pred, axis=-1)
    expected = (y_true * y_pred).sum(-1) / norms
    np.testing.assert_allclose(_value(backend, metrics.get(name), y_true, y_pred, gradient=True),
                               expected, rtol=1e-10)


def test_accuracy_results_are_floatx(backend):
    K.set_floatx('float64')
    try:
        got = _value(backend, metrics.categorical_accuracy, np.eye(2), np.eye(2))
    finally:
        K.set_floatx('float32')
    assert got.dtype == np.float64


@pytest.mark.parametrize('name', ['binary_accuracy', 'categorical_accuracy',
                                  'sparse_categorical_accuracy', 'top_k_categorical_accuracy',
                                  'sparse_top_k_categorical_accuracy', 'accuracy',
                                  'mean_squared_error', 'kullback_leibler_divergence'])
def test_serialize_deserialize_round_trip(name):
    fn = metrics.get(name)
    assert metrics.serialize(fn) == name
    assert metrics.deserialize(name) is fn
    assert metrics.get({'class_name': 'function', 'config': name}) is fn


def test_aliases_and_custom_objects():
    assert metrics.get('acc') is metrics.accuracy
    assert metrics.get('mse') is metrics.mean_squared_error
    assert metrics.get('KLD') is metrics.kullback_leibler_divergence

    def custom(y_true, y_pred):
        return y_pred

    assert metrics.get(custom) is custom
    assert metrics.deserialize('custom', custom_objects={'custom': custom}) is custom


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError) as info:
        metrics.get('categorical_acuracy')
    message = str(info.value)
    assert 'categorical_acuracy' in message
    for known in ('categorical_accuracy', 'binary_accuracy', 'top_k_categorical_accuracy', 'mse'):
        assert known in message
    with pytest.raises(ValueError, match='metric'):
        metrics.get(None)


def test_a_loss_written_with_metric_functions_has_its_gradient(backend, rng):
    # Keras 2.0's variational autoencoder: self.add_loss(K.mean(metrics.binary_crossentropy(x, y)))
    y = rng.uniform(0.05, 0.95, (3, 4))
    w = ad.Variable(backend.asarray(rng.normal(size=(3, 4))))
    (grad,) = ad.gradients(K.mean(metrics.binary_crossentropy(backend.asarray(y),
                                                              K.sigmoid(w))), [w])
    p = 1 / (1 + np.exp(-backend.to_numpy(w.data)))
    # d mean(bce)/dw = (p - y) / (rows * columns) for a sigmoid output (eps terms aside)
    np.testing.assert_allclose(backend.to_numpy(grad), (p - y) / 12, rtol=1e-5, atol=1e-8)
