"""gkeras.initializers: statistics of large draws, exact values, fans, seeds, configs and errors."""
import math

import numpy as np
import pytest

from gkeras import backend as K
from gkeras import initializers

TRUNCATED_STD = 0.87962566103423978  # std of N(0, 1) truncated to [-2, 2]


def _draw(backend, init, shape, dtype=None):
    values = init(shape, dtype=dtype)
    assert isinstance(values, backend.xp.ndarray)
    assert values.shape == tuple(shape)
    assert values.dtype == (dtype or K.floatx())
    return backend.to_numpy(values).astype(np.float64)


def test_constant_initializers(backend):
    np.testing.assert_array_equal(_draw(backend, initializers.Zeros(), (2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(_draw(backend, initializers.Ones(), (4,), 'float64'), np.ones(4))
    np.testing.assert_array_equal(_draw(backend, initializers.Constant(2.5), (3, 1)),
                                  np.full((3, 1), 2.5))
    assert initializers.Constant().value == 0


def test_random_normal_statistics(backend):
    values = _draw(backend, initializers.RandomNormal(mean=1.0, stddev=0.5, seed=1), (400, 500))
    assert abs(values.mean() - 1.0) < 5 * 0.5 / math.sqrt(values.size)
    assert abs(values.std() - 0.5) < 0.005
    defaults = initializers.RandomNormal()
    assert (defaults.mean, defaults.stddev, defaults.seed) == (0., 0.05, None)


def test_random_uniform_statistics(backend):
    values = _draw(backend, initializers.RandomUniform(minval=-0.2, maxval=0.6, seed=2), (400, 500))
    assert values.min() >= -0.2 and values.max() < 0.6
    assert values.min() < -0.199 and values.max() > 0.599
    assert abs(values.mean() - 0.2) < 0.003
    assert abs(values.var() - 0.8 ** 2 / 12) < 0.001
    defaults = initializers.RandomUniform()
    assert (defaults.minval, defaults.maxval) == (-0.05, 0.05)


def test_truncated_normal_statistics(backend):
    values = _draw(backend, initializers.TruncatedNormal(mean=0.5, stddev=0.1, seed=3), (400, 500))
    assert values.min() >= 0.5 - 0.2 - 1e-6 and values.max() <= 0.5 + 0.2 + 1e-6
    assert values.min() < 0.31 and values.max() > 0.69
    assert abs(values.mean() - 0.5) < 0.001
    assert abs(values.std() - 0.1 * TRUNCATED_STD) < 0.001


@pytest.mark.parametrize('shape,fan_in,fan_out', [
    ((30,), 30, 30), ((20, 50), 20, 50), ((3, 8, 16), 24, 48), ((3, 3, 8, 16), 72, 144),
    ((2, 3, 3, 4, 6), 72, 108)])
def test_compute_fans(shape, fan_in, fan_out):
    assert initializers._compute_fans(shape) == (fan_in, fan_out)


@pytest.mark.parametrize('mode', ['fan_in', 'fan_out', 'fan_avg'])
@pytest.mark.parametrize('distribution', ['normal', 'truncated_normal', 'untruncated_normal',
                                          'uniform'])
def test_variance_scaling_statistics_on_a_conv_kernel(backend, mode, distribution):
    shape = (5, 5, 40, 60)  # fan_in = 25 * 40, fan_out = 25 * 60
    fan = {'fan_in': 1000, 'fan_out': 1500, 'fan_avg': 1250}[mode]
    init = initializers.VarianceScaling(scale=2., mode=mode, distribution=distribution, seed=4)
    values = _draw(backend, init, shape)
    expected_std = math.sqrt(2. / fan)
    assert abs(values.mean()) < 5 * expected_std / math.sqrt(values.size)
    assert abs(values.std() - expected_std) < 0.015 * expected_std
    if distribution == 'uniform':
        limit = math.sqrt(3 * 2. / fan)
        assert np.abs(values).max() <= limit + 1e-7
        assert np.abs(values).max() > 0.999 * limit
    elif distribution in ('normal', 'truncated_normal'):
        assert np.abs(values).max() <= 2 * expected_std / TRUNCATED_STD + 1e-6
    else:
        assert np.abs(values).max() > 3 * expected_std


@pytest.mark.parametrize('factory,scale,mode,distribution', [
    (initializers.glorot_normal, 1., 'fan_avg', 'normal'),
    (initializers.glorot_uniform, 1., 'fan_avg', 'uniform'),
    (initializers.he_normal, 2., 'fan_in', 'normal'),
    (initializers.he_uniform, 2., 'fan_in', 'uniform'),
    (initializers.lecun_normal, 1., 'fan_in', 'normal'),
    (initializers.lecun_uniform, 1., 'fan_in', 'uniform'),
])
def test_preset_variance_scalings(factory, scale, mode, distribution):
    init = factory(seed=7)
    assert isinstance(init, initializers.VarianceScaling)
    assert init.get_config() == {'scale': scale, 'mode': mode, 'distribution': distribution,
                                 'seed': 7}


def test_glorot_uniform_limit_on_a_dense_kernel(backend):
    values = _draw(backend, initializers.glorot_uniform(seed=0), (300, 200))
    limit = math.sqrt(6. / 500)
    assert np.abs(values).max() <= limit and np.abs(values).max() > 0.999 * limit


@pytest.mark.parametrize('shape', [(40, 15), (15, 40), (3, 3, 4, 8), (12, 12)])
def test_orthogonal(backend, shape):
    values = _draw(backend, initializers.Orthogonal(gain=1.5, seed=5), shape, 'float64')
    flat = values.reshape(-1, shape[-1])
    if flat.shape[0] >= flat.shape[1]:
        np.testing.assert_allclose(flat.T @ flat, 2.25 * np.eye(flat.shape[1]), atol=1e-10)
    else:
        np.testing.assert_allclose(flat @ flat.T, 2.25 * np.eye(flat.shape[0]), atol=1e-10)


def test_orthogonal_rejects_1d_shapes(backend):
    with pytest.raises(ValueError, match='shape=\\(5,\\)'):
        initializers.Orthogonal()((5,))


def test_identity(backend):
    np.testing.assert_array_equal(_draw(backend, initializers.Identity(gain=3.), (3, 3)),
                                  3 * np.eye(3))
    np.testing.assert_array_equal(_draw(backend, initializers.Identity(), (2, 4)), np.eye(2, 4))
    with pytest.raises(ValueError, match='2D'):
        initializers.Identity()((2, 2, 2))


SEEDED = [initializers.RandomNormal(seed=11), initializers.RandomUniform(seed=11),
          initializers.TruncatedNormal(seed=11), initializers.VarianceScaling(seed=11),
          initializers.VarianceScaling(distribution='uniform', seed=11),
          initializers.VarianceScaling(distribution='untruncated_normal', seed=11),
          initializers.Orthogonal(seed=11), initializers.he_normal(seed=11)]


@pytest.mark.parametrize('init', SEEDED, ids=repr)
def test_seeded_initializers_are_reproducible(backend, init):
    first = _draw(backend, init, (6, 5))
    np.testing.assert_array_equal(first, _draw(backend, init, (6, 5)))
    twin = type(init).from_config(init.get_config())
    np.testing.assert_array_equal(first, _draw(backend, twin, (6, 5)))
    other = type(init).from_config({**init.get_config(), 'seed': 12})
    assert not np.array_equal(first, _draw(backend, other, (6, 5)))


def test_unseeded_initializers_differ_between_calls(backend):
    init = initializers.RandomNormal()
    assert not np.array_equal(_draw(backend, init, (4, 4)), _draw(backend, init, (4, 4)))


@pytest.mark.parametrize('dtype', ['float16', 'float64'])
def test_requested_dtype(backend, dtype):
    for init in (initializers.RandomNormal(seed=1), initializers.RandomUniform(seed=1),
                 initializers.glorot_normal(seed=1), initializers.Orthogonal(seed=1),
                 initializers.Identity(), initializers.Ones()):
        _draw(backend, init, (4, 4), dtype)


def test_default_dtype_follows_floatx(backend):
    K.set_floatx('float64')
    try:
        _draw(backend, initializers.glorot_uniform(), (3, 3))
    finally:
        K.set_floatx('float32')


ALL = [initializers.Zeros(), initializers.Ones(), initializers.Constant(value=0.3),
       initializers.RandomNormal(mean=0.1, stddev=0.2, seed=3),
       initializers.RandomUniform(minval=-1, maxval=2, seed=None),
       initializers.TruncatedNormal(stddev=0.3, seed=1),
       initializers.VarianceScaling(scale=0.5, mode='fan_out', distribution='uniform', seed=9),
       initializers.Orthogonal(gain=2., seed=4), initializers.Identity(gain=0.5)]


@pytest.mark.parametrize('init', ALL, ids=repr)
def test_serialize_deserialize_round_trip(init):
    config = initializers.serialize(init)
    assert config == {'class_name': type(init).__name__, 'config': init.get_config()}
    again = initializers.deserialize(config)
    assert type(again) is type(init) and again.get_config() == init.get_config()
    assert initializers.get(config).get_config() == init.get_config()


def test_keras2_serialized_form():
    assert initializers.serialize(initializers.glorot_uniform(seed=3)) == {
        'class_name': 'VarianceScaling',
        'config': {'scale': 1.0, 'mode': 'fan_avg', 'distribution': 'uniform', 'seed': 3}}
    assert initializers.serialize(initializers.RandomNormal()) == {
        'class_name': 'RandomNormal', 'config': {'mean': 0., 'stddev': 0.05, 'seed': None}}


@pytest.mark.parametrize('class_name,expected', [
    ('GlorotUniform', initializers.glorot_uniform), ('GlorotNormal', initializers.glorot_normal),
    ('HeNormal', initializers.he_normal), ('HeUniform', initializers.he_uniform),
    ('LecunNormal', initializers.lecun_normal), ('LecunUniform', initializers.lecun_uniform)])
def test_deserialize_tf_keras_class_names(class_name, expected):
    init = initializers.deserialize({'module': 'keras.initializers', 'class_name': class_name,
                                     'config': {'seed': 5}, 'registered_name': None})
    assert init.get_config() == expected(seed=5).get_config()


@pytest.mark.parametrize('name,cls', [
    ('zeros', initializers.Zeros), ('ones', initializers.Ones), ('constant', initializers.Constant),
    ('random_normal', initializers.RandomNormal), ('random_uniform', initializers.RandomUniform),
    ('truncated_normal', initializers.TruncatedNormal), ('orthogonal', initializers.Orthogonal),
    ('variance_scaling', initializers.VarianceScaling), ('identity', initializers.Identity),
    ('glorot_uniform', initializers.VarianceScaling), ('he_normal', initializers.VarianceScaling),
    ('Zeros', initializers.Zeros), ('VarianceScaling', initializers.VarianceScaling)])
def test_get_by_name(name, cls):
    assert type(initializers.get(name)) is cls


def test_get_passes_instances_and_callables_through():
    init = initializers.Ones()
    assert initializers.get(init) is init

    def custom(shape, dtype=None):
        return None

    assert initializers.get(custom) is custom
    with pytest.raises(ValueError, match='initializer'):
        initializers.get(3)


def test_serialize_none_and_plain_functions():
    def my_init(shape, dtype=None):
        return None

    assert initializers.serialize(None) is None
    assert initializers.serialize(my_init) == 'my_init'
    assert initializers.deserialize('my_init', custom_objects={'my_init': my_init}) is my_init
    assert type(initializers.deserialize('he_uniform')) is initializers.VarianceScaling


def test_custom_objects():
    class MyInit(initializers.Initializer):
        def __init__(self, level=1):
            self.level = level

        def get_config(self):
            return {'level': self.level}

    init = initializers.deserialize({'class_name': 'MyInit', 'config': {'level': 3}},
                                    custom_objects={'MyInit': MyInit})
    assert isinstance(init, MyInit) and init.level == 3


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError) as info:
        initializers.get('glorot_uniformm')
    message = str(info.value)
    assert 'glorot_uniformm' in message
    for known in ('glorot_uniform', 'he_normal', 'Orthogonal', 'zeros', 'VarianceScaling'):
        assert known in message


@pytest.mark.parametrize('arguments,named', [
    ({'scale': 0.}, 'scale'), ({'scale': -1.}, 'scale'), ({'mode': 'fan_sum'}, 'mode'),
    ({'distribution': 'gaussian'}, 'distribution')])
def test_variance_scaling_validates_its_arguments(arguments, named):
    with pytest.raises(ValueError, match=named):
        initializers.VarianceScaling(**arguments)


def test_deserialize_drops_unset_keys_newer_keras_writes(backend):
    init = initializers.deserialize({'class_name': 'GlorotUniform',
                                     'config': {'seed': None, 'input_axes': None}})
    assert init.get_config()['distribution'] == 'uniform'
    with pytest.raises(TypeError):
        initializers.deserialize({'class_name': 'GlorotUniform',
                                  'config': {'seed': None, 'input_axes': 2}})
