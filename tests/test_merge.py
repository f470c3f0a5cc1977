"""Merge layers and their functional forms: tf_keras fixtures (outputs, input gradients, Dense
weights after SGD through the merge), NumPy formulas, masks, float64 finite differences, errors."""
import numpy as np
import pytest

import sequence_cases
from gkeras import backend as K
from gkeras import layers
from gkeras.backend import autodiff as ad
from gkeras.backend import selection
from gkeras.models import Model
from gradcheck import check_gradients


def to_np(x):
    return selection.active().to_numpy(ad.raw(x))


@pytest.mark.parametrize('case', sequence_cases.names('merge'))
def test_merge_layers_match_tf_keras(backend, case):
    sequence_cases.check('merge', case)


FORMULAS = {
    layers.Add: lambda xs: sum(xs),
    layers.Multiply: lambda xs: np.prod(xs, axis=0),
    layers.Average: lambda xs: sum(xs) / len(xs),
    layers.Maximum: lambda xs: np.max(xs, axis=0),
    layers.Minimum: lambda xs: np.min(xs, axis=0),
}


@pytest.mark.parametrize('cls', sorted(FORMULAS, key=lambda c: c.__name__))
def test_elementwise_merges_against_numpy_and_gradients(backend, rng, cls):
    xs = [rng.normal(size=(3, 4)) for _ in range(3)]
    np.testing.assert_allclose(to_np(cls()([ad.constant(x) for x in xs])), FORMULAS[cls](xs),
                               rtol=1e-12)
    check_gradients(lambda a, b, c: cls()([a, b, c]), *xs, noncontiguous=True)
    check_gradients(lambda a, b: layers.Subtract()([a, b]), xs[0], xs[1])


def test_functional_forms(backend, rng):
    a, b = layers.Input(shape=(4,)), layers.Input(shape=(4,))
    outputs = [layers.add([a, b]), layers.subtract([a, b]), layers.multiply([a, b]),
               layers.average([a, b]), layers.maximum([a, b]), layers.minimum([a, b]),
               layers.concatenate([a, b]), layers.concatenate([a, b], axis=0),
               layers.dot([a, b], axes=1), layers.dot([a, b], axes=1, normalize=True)]
    model = Model([a, b], outputs)
    x, y = rng.normal(size=(2, 4)).astype(np.float32), rng.normal(size=(2, 4)).astype(np.float32)
    got = model.predict([x, y])
    cosine = (x * y).sum(1, keepdims=True) / np.linalg.norm(x, axis=1, keepdims=True) / \
        np.linalg.norm(y, axis=1, keepdims=True)
    want = [x + y, x - y, x * y, (x + y) / 2, np.maximum(x, y), np.minimum(x, y),
            np.concatenate([x, y], 1), np.concatenate([x, y], 0), (x * y).sum(1, keepdims=True),
            cosine]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    assert [o.shape for o in outputs[6:]] == [(None, 8), (None, 4), (None, 1), (None, 1)]


def test_dot_gradients_and_shapes(backend, rng):
    x1, x2 = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 3))
    check_gradients(lambda a, b: layers.Dot(axes=(1, 2))([a, b]), x1, x2)
    check_gradients(lambda a, b: layers.Dot(axes=-1, normalize=True)([a, b]),
                    rng.normal(size=(3, 4)), rng.normal(size=(3, 4)))
    assert layers.Dot(axes=(1, 2)).compute_output_shape([(None, 3, 4), (None, 5, 3)]) == \
        (None, 4, 5)


def test_masks_combine_as_keras_2(backend):
    xp = selection.active().xp
    a = ad.constant(np.ones((2, 3, 4), np.float32))
    b = ad.constant(np.ones((2, 3, 2), np.float32))
    a._keras_mask = xp.asarray([[True, True, False], [True, False, True]])
    b._keras_mask = xp.asarray([[True, False, True], [True, True, True]])
    added = layers.Add()([a, ad.constant(np.ones((2, 3, 4), np.float32))])
    np.testing.assert_array_equal(to_np(added._keras_mask), to_np(a._keras_mask))
    c = ad.constant(np.ones((2, 3, 4), np.float32))
    c._keras_mask = b._keras_mask
    both = layers.Multiply()([a, c])
    np.testing.assert_array_equal(to_np(both._keras_mask), [[1, 0, 0], [1, 0, 1]])
    joined = layers.Concatenate()([a, b])
    np.testing.assert_array_equal(to_np(joined._keras_mask), [[1, 0, 0], [1, 0, 1]])
    unmasked = ad.constant(np.ones((2, 3, 4), np.float32))
    half = layers.Concatenate(axis=1)([a, unmasked])  # mask of the unmasked input is all True
    np.testing.assert_array_equal(to_np(half._keras_mask), [[1, 1, 0, 1, 1, 1],
                                                            [1, 0, 1, 1, 1, 1]])
    assert layers.Dot(axes=2)([a, c])._keras_mask is None


def test_config_round_trip(backend):
    for layer in (layers.Add(), layers.Concatenate(axis=1), layers.Dot(axes=[1, 2],
                                                                        normalize=True)):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config
        assert layers.deserialize({'class_name': type(layer).__name__,
                                   'config': config}).get_config() == config


def test_bad_input_errors_name_the_layer(backend):
    with pytest.raises(ValueError, match=r"'add_1'.*could not be broadcast.*\(None, 3\), "
                                         r"\(None, 5\)"):
        layers.Add()([layers.Input(shape=(3,)), layers.Input(shape=(5,))])
    with pytest.raises(ValueError, match=r"'multiply_1'.*could not be broadcast"):
        layers.Multiply()([np.ones((2, 3), np.float32), np.ones((2, 4), np.float32)])
    with pytest.raises(ValueError, match=r"'add_2'.*at least 2 inputs"):
        layers.Add()([layers.Input(shape=(3,))])
    with pytest.raises(ValueError, match=r"'subtract_1'.*exactly 2 inputs"):
        layers.Subtract()([layers.Input(shape=(3,))] * 3)
    with pytest.raises(ValueError, match=r"'average_1'.*different batch sizes"):
        layers.Average()([np.ones((2, 3), np.float32), np.ones((3, 3), np.float32)])
    with pytest.raises(ValueError, match=r"'concatenate_1'.*matching shapes except for the "
                                         r"concat axis"):
        layers.Concatenate(axis=-1)([layers.Input(shape=(3, 2)), layers.Input(shape=(4, 2))])
    with pytest.raises(ValueError, match=r"'concatenate_2'.*axis=3 is out of range.*rank 2"):
        layers.Concatenate(axis=3)([layers.Input(shape=(3,)), layers.Input(shape=(3,))])
    with pytest.raises(ValueError, match=r"'concatenate_3'.*same rank"):
        layers.Concatenate()([np.ones((2, 3), np.float32), np.ones((2, 3, 1), np.float32)])
    with pytest.raises(ValueError, match=r"'dot_1'.*dimension incompatibility 3 != 4"):
        layers.Dot(axes=1)([layers.Input(shape=(3,)), layers.Input(shape=(4,))])
    with pytest.raises(ValueError, match=r"'dot_2'.*batch axis"):
        layers.Dot(axes=0)([layers.Input(shape=(3,)), layers.Input(shape=(3,))])
    with pytest.raises(ValueError, match=r"'maximum_1'.*list of at least 2 inputs; received a "
                                         r"single input of shape \(None, 3\)"):
        layers.Maximum()(layers.Input(shape=(3,)))
    assert K.int_shape(layers.add([layers.Input(shape=(3,)), layers.Input(shape=(2, 3))])) == \
        (None, 2, 3)
