"""gkeras.regularizers and gkeras.constraints against NumPy formulas, gradients and configs."""
import numpy as np
import pytest

from gkeras import backend as K
from gkeras import constraints, regularizers
from gkeras.backend import autodiff as ad
from gradcheck import check_gradients

EPS = 1e-7

# --------------------------------------------------------------------------------------------
# regularizers


@pytest.mark.parametrize('l1,l2', [(0.01, 0.), (0., 0.02), (0.03, 0.005)])
def test_l1l2_value_and_gradient(backend, rng, l1, l2):
    w = rng.normal(size=(4, 3)).astype(np.float32)
    variable = ad.Variable(backend.asarray(w))
    penalty = regularizers.L1L2(l1=l1, l2=l2)(variable)
    assert isinstance(penalty, ad.Tensor) and penalty.shape == ()
    assert penalty.dtype == np.float32
    w64 = w.astype(np.float64)
    np.testing.assert_allclose(float(backend.to_numpy(ad.raw(penalty))),
                               l1 * np.abs(w64).sum() + l2 * (w64 ** 2).sum(), rtol=1e-5)
    grad = backend.to_numpy(ad.gradients(penalty, [variable])[0])
    np.testing.assert_allclose(grad, l1 * np.sign(w) + 2 * l2 * w, rtol=1e-5, atol=1e-7)


def test_l1l2_finite_differences(backend, rng):
    w = rng.normal(size=(3, 5))
    check_gradients(lambda t: regularizers.l1_l2(l1=0.3, l2=0.2)(t), w)


def test_zero_regularizer_is_a_zero_scalar(backend):
    penalty = regularizers.L1L2()(ad.Variable(backend.asarray(np.ones((2, 2), np.float32))))
    assert float(backend.to_numpy(ad.raw(penalty))) == 0.


def test_shortcut_defaults():
    assert regularizers.l1().get_config() == {'l1': 0.01, 'l2': 0.}
    assert regularizers.l2().get_config() == {'l1': 0., 'l2': 0.01}
    assert regularizers.l1_l2().get_config() == {'l1': 0.01, 'l2': 0.01}
    assert regularizers.l1(0.5).get_config() == {'l1': 0.5, 'l2': 0.}
    assert regularizers.l2(l=0.25).get_config() == {'l1': 0., 'l2': 0.25}


def test_regularizer_serialization_round_trip():
    reg = regularizers.l1_l2(l1=0.001, l2=0.002)
    config = regularizers.serialize(reg)
    assert config == {'class_name': 'L1L2', 'config': {'l1': 0.001, 'l2': 0.002}}
    again = regularizers.deserialize(config)
    assert isinstance(again, regularizers.L1L2) and again.get_config() == reg.get_config()
    assert regularizers.get(config).get_config() == reg.get_config()


@pytest.mark.parametrize('config,expected', [
    ({'class_name': 'L2', 'config': {'l2': 0.009999999776482582}},
     {'l1': 0., 'l2': 0.009999999776482582}),
    ({'class_name': 'L1', 'config': {'l1': 0.5}}, {'l1': 0.5, 'l2': 0.}),
    ({'module': 'keras.regularizers', 'class_name': 'L1L2', 'config': {'l1': 0.1, 'l2': 0.2},
      'registered_name': None}, {'l1': 0.1, 'l2': 0.2}),
    ({'class_name': 'l2', 'config': {}}, {'l1': 0., 'l2': 0.01}),
])
def test_deserialize_tf_keras_forms(config, expected):
    assert regularizers.deserialize(config).get_config() == expected


def test_serialize_none_and_plain_functions():
    def my_penalty(weight):
        return 0.

    assert regularizers.serialize(None) is None
    assert regularizers.serialize(my_penalty) == 'my_penalty'
    assert regularizers.deserialize('my_penalty', custom_objects={'my_penalty': my_penalty}) \
        is my_penalty
    assert constraints.serialize(None) is None
    assert constraints.serialize(my_penalty) == 'my_penalty'
    assert constraints.deserialize('my_penalty', custom_objects={'my_penalty': my_penalty}) \
        is my_penalty


def test_get_by_name_none_and_callables():
    assert regularizers.get(None) is None
    assert regularizers.get('l1').get_config() == {'l1': 0.01, 'l2': 0.}
    assert regularizers.get('l1_l2').get_config() == {'l1': 0.01, 'l2': 0.01}
    reg = regularizers.l2()
    assert regularizers.get(reg) is reg

    def custom(weight):
        return 0.

    assert regularizers.get(custom) is custom


def test_regularizer_errors():
    with pytest.raises(ValueError) as info:
        regularizers.get('l3')
    assert 'l3' in str(info.value) and 'l1_l2' in str(info.value) and 'L1L2' in str(info.value)
    with pytest.raises(ValueError, match='l1=-0.1'):
        regularizers.L1L2(l1=-0.1)
    with pytest.raises(ValueError, match='l2'):
        regularizers.L1L2(l2='big')


# --------------------------------------------------------------------------------------------
# constraints


def _norms(w, axis):
    return np.sqrt((w.astype(np.float64) ** 2).sum(axis=axis, keepdims=True))


def _apply(backend, constraint, w):
    out = constraint(backend.asarray(w))
    assert isinstance(out, backend.xp.ndarray)
    assert out.dtype == w.dtype and out.shape == w.shape
    return backend.to_numpy(out)


@pytest.mark.parametrize('axis', [0, 1, [0, 1, 2]])
def test_max_norm(backend, rng, axis):
    w = rng.normal(size=(3, 4, 2, 5)).astype(np.float32)
    norms = _norms(w, tuple(axis) if isinstance(axis, list) else axis)
    expected = w * (np.clip(norms, 0, 2.) / (EPS + norms))
    got = _apply(backend, constraints.MaxNorm(max_value=2., axis=axis), w)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    # vectors already inside the ball only lose the epsilon
    small = (w / _norms(w, 0) * 0.5).astype(np.float32)
    np.testing.assert_allclose(_apply(backend, constraints.MaxNorm(axis=0), small), small,
                               rtol=1e-6)


def test_non_neg(backend, rng):
    w = rng.normal(size=(5, 3)).astype(np.float32)
    np.testing.assert_array_equal(_apply(backend, constraints.NonNeg(), w), np.where(w >= 0, w, 0))


@pytest.mark.parametrize('axis', [0, -1])
def test_unit_norm(backend, rng, axis):
    w = rng.normal(size=(6, 4)).astype(np.float32)
    got = _apply(backend, constraints.UnitNorm(axis=axis), w)
    np.testing.assert_allclose(got, w / (EPS + _norms(w, axis)), rtol=1e-6)
    np.testing.assert_allclose(_norms(got, axis), 1., rtol=1e-5)


@pytest.mark.parametrize('rate', [1.0, 0.3])
def test_min_max_norm(backend, rng, rate):
    w = (rng.normal(size=(4, 7)) * rng.uniform(0.1, 3, size=7)).astype(np.float32)
    norms = _norms(w, 0)
    desired = rate * np.clip(norms, 0.5, 1.5) + (1 - rate) * norms
    got = _apply(backend, constraints.MinMaxNorm(min_value=0.5, max_value=1.5, rate=rate), w)
    np.testing.assert_allclose(got, w * desired / (EPS + norms), rtol=1e-6)


def test_float64_weights_stay_float64(backend, rng):
    w = rng.normal(size=(3, 3))
    for constraint in (constraints.MaxNorm(1.), constraints.NonNeg(), constraints.UnitNorm(),
                       constraints.MinMaxNorm()):
        _apply(backend, constraint, w)


def test_constraint_defaults():
    assert constraints.MaxNorm().get_config() == {'max_value': 2, 'axis': 0}
    assert constraints.UnitNorm().get_config() == {'axis': 0}
    assert constraints.MinMaxNorm().get_config() == {'min_value': 0.0, 'max_value': 1.0,
                                                     'rate': 1.0, 'axis': 0}
    assert constraints.NonNeg().get_config() == {}


@pytest.mark.parametrize('constraint', [constraints.MaxNorm(3, axis=1), constraints.NonNeg(),
                                        constraints.UnitNorm(axis=[0, 1]),
                                        constraints.MinMaxNorm(0.1, 2., 0.5, axis=-1)], ids=repr)
def test_constraint_serialization_round_trip(constraint):
    config = constraints.serialize(constraint)
    assert config == {'class_name': type(constraint).__name__, 'config': constraint.get_config()}
    again = constraints.deserialize(config)
    assert type(again) is type(constraint) and again.get_config() == constraint.get_config()


@pytest.mark.parametrize('name,cls', [
    ('max_norm', constraints.MaxNorm), ('non_neg', constraints.NonNeg),
    ('unit_norm', constraints.UnitNorm), ('min_max_norm', constraints.MinMaxNorm),
    ('maxnorm', constraints.MaxNorm), ('MaxNorm', constraints.MaxNorm)])
def test_constraint_names(name, cls):
    assert type(constraints.get(name)) is cls


def test_constraint_get_none_callables_and_errors():
    assert constraints.get(None) is None
    constraint = constraints.NonNeg()
    assert constraints.get(constraint) is constraint
    with pytest.raises(ValueError) as info:
        constraints.get('max_nrom')
    assert 'max_nrom' in str(info.value) and 'max_norm' in str(info.value)
    with pytest.raises(ValueError, match='constraint'):
        constraints.get(1.5)


def test_regularizer_inside_a_loss_is_differentiable(backend, rng):
    w = ad.Variable(backend.asarray(rng.normal(size=(3, 2)).astype(np.float32)))
    loss = K.sum(K.square(w)) + regularizers.l2(0.5)(w)
    grad = backend.to_numpy(ad.gradients(loss, [w])[0])
    np.testing.assert_allclose(grad, 3 * backend.to_numpy(w.data), rtol=1e-6)
