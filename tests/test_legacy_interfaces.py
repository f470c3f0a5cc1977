"""Keras 1 argument spellings (gkeras/legacy.py) against what Keras 2.2.5 makes of them.

tests/fixtures/legacy_interfaces.json is written by tools/make_legacy_fixtures.py with Keras 2.2.5:
for each legacy call, the layer config (or the error) and the UserWarnings it gave.
"""
import json
import os
import re
import warnings

import numpy as np
import pytest

import gkeras
from gkeras import backend as K
from gkeras import layers
from gkeras.models import Model, Sequential

FIXTURE = os.path.join(os.path.dirname(__file__), 'fixtures', 'legacy_interfaces.json')
with open(FIXTURE) as _f:
    REFERENCE = json.load(_f)
MODEL_CALL = re.compile(r'Update your `Model` call to the Keras 2 API: '
                        r'`Model\(inputs=.*, outputs=.*\)`$')


def plain(value):
    """What json.dump writes and reads back: tuples as lists."""
    return json.loads(json.dumps(value))


def assert_same_config(ours, reference, where=''):
    """Equal, floats to float32 rounding (Keras 2.2 stores regularizer factors as float32)."""
    if isinstance(reference, dict):
        assert isinstance(ours, dict), where
        missing = set(reference) - set(ours)
        assert not missing, f'{where}: gkeras config lacks {sorted(missing)}'
        for key in reference:
            assert_same_config(ours[key], reference[key], f'{where}/{key}')
    elif isinstance(reference, list):
        assert isinstance(ours, list) and len(ours) == len(reference), (where, ours, reference)
        for i, (a, b) in enumerate(zip(ours, reference)):
            assert_same_config(a, b, f'{where}[{i}]')
    elif isinstance(reference, float):
        assert ours == pytest.approx(reference, rel=1e-6), (where, ours, reference)
    else:
        assert ours == reference and type(ours) is type(reference), (where, ours, reference)


def user_warnings(caught):
    return [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def run_recorded(call):
    """(layer or None, exception or None, UserWarning messages) of `call()`."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        try:
            return call(), None, user_warnings(caught)
        except Exception as error:  # compared with what Keras 2.2.5 raised
            return None, error, user_warnings(caught)


def test_fixture_assumes_channels_last():
    assert REFERENCE['meta']['keras'] == '2.2.5'
    assert REFERENCE['meta']['image_data_format'] == K.image_data_format() == 'channels_last'


@pytest.mark.parametrize('name', sorted(REFERENCE['cases']))
def test_legacy_call_as_keras_2_2_5(name):
    case = REFERENCE['cases'][name]
    layer, error, messages = run_recorded(lambda: eval(case['call'], dict(vars(layers))))
    if 'error' in case:
        assert error is not None, f"{case['call']} should raise {case['error']['type']}"
        assert type(error).__name__ == case['error']['type']
        assert str(error) == case['error']['message']
    else:
        assert error is None, f"{case['call']} raised {error!r}"
        config = plain(layer.get_config())
        config.pop('name')
        assert_same_config(config, case['config'], case['call'])
    assert messages == case['warnings']


def test_keras2_spelling_gives_no_warning():
    _, error, messages = run_recorded(lambda: [
        layers.Conv2D(8, (3, 3), padding='same', data_format='channels_first'),
        layers.LSTM(4, unit_forget_bias=True, recurrent_activation='sigmoid', implementation=2),
        layers.Dense(3, 'relu'), layers.Dropout(0.5), layers.MaxPooling2D(padding='same')])
    assert error is None and messages == []


def test_conv2d_integer_positional_arguments_are_keras1_sizes():
    """Keras 2.2.5 reads Conv2D(filters, 3, 2) as nb_row=3, nb_col=2 (tf.keras: strides=2)."""
    layer, _, _ = run_recorded(lambda: layers.Conv2D(8, 3, 2))
    assert layer.kernel_size == (3, 2) and layer.strides == (1, 1)
    layer, _, _ = run_recorded(lambda: layers.Conv2D(8, 3, (2, 2)))
    assert layer.kernel_size == (3, 3) and layer.strides == (2, 2)


def small_functional(legacy):
    x = layers.Input(shape=(5,), name='tokens')
    if legacy:
        h = layers.Embedding(7, 4, init='uniform', W_regularizer=None, dropout=0.,
                             name='embed')(x)
        h = layers.LSTM(output_dim=3, inner_init='orthogonal', forget_bias_init='one',
                        inner_activation='hard_sigmoid', consume_less='mem',
                        W_regularizer='l2', name='lstm')(h)
        y = layers.Dense(output_dim=2, init='he_normal', bias=False, activation='softmax',
                         name='out')(layers.Dropout(p=0.2, seed=3, name='drop')(h))
        return Model(input=x, output=y, name='net')
    h = layers.Embedding(7, 4, embeddings_initializer='uniform', name='embed')(x)
    h = layers.LSTM(3, recurrent_initializer='orthogonal', unit_forget_bias=True,
                    recurrent_activation='hard_sigmoid', implementation=1,
                    kernel_regularizer='l2', name='lstm')(h)
    y = layers.Dense(2, kernel_initializer='he_normal', use_bias=False, activation='softmax',
                     name='out')(layers.Dropout(rate=0.2, seed=3, name='drop')(h))
    return Model(inputs=x, outputs=y, name='net')


def small_convnet(legacy):
    if legacy:
        stack = [layers.Convolution2D(4, 3, 3, border_mode='same', dim_ordering='th',
                                      input_shape=(2, 6, 6), name='conv'),
                 layers.MaxPooling2D(border_mode='same', dim_ordering='th', name='pool'),
                 layers.GlobalAveragePooling2D(dim_ordering='th', name='gap'),
                 layers.Dense(output_dim=3, activation='softmax', name='out')]
    else:
        stack = [layers.Conv2D(4, (3, 3), padding='same', data_format='channels_first',
                               input_shape=(2, 6, 6), name='conv'),
                 layers.MaxPooling2D(padding='same', data_format='channels_first', name='pool'),
                 layers.GlobalAveragePooling2D(data_format='channels_first', name='gap'),
                 layers.Dense(3, activation='softmax', name='out')]
    return Sequential(stack, name='convnet')


@pytest.mark.parametrize('build, x', [
    (small_functional, np.random.RandomState(0).randint(0, 7, size=(4, 5))),
    (small_convnet, np.random.RandomState(1).normal(size=(4, 2, 6, 6)).astype('float32')),
])
def test_legacy_model_trains_like_keras2_model(backend, build, x):
    with warnings.catch_warnings(record=True):
        warnings.simplefilter('always')
        legacy = build(legacy=True)
    modern = build(legacy=False)
    assert legacy.get_config() == modern.get_config()
    assert gkeras.models.model_from_json(legacy.to_json()).get_config() == modern.get_config()
    legacy.set_weights(modern.get_weights())
    y = np.eye(legacy.output_shape[-1], dtype='float32')[[0, 1, 1, 0]]
    losses = []
    for model in (legacy, modern):
        model.compile(gkeras.optimizers.SGD(0.1), 'categorical_crossentropy')
        losses.append(model.train_on_batch(x, y))
    assert np.isfinite(losses[0]) and losses[0] == losses[1]
    for a, b in zip(legacy.get_weights(), modern.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_model_input_output_keywords():
    x = layers.Input(shape=(3,))
    y = layers.Dense(2)(x)
    model, error, messages = run_recorded(lambda: Model(input=x, output=y))
    assert error is None and model.inputs == [x] and model.outputs == [y]
    expected = REFERENCE['models']['model_input_output']['warnings']
    assert len(messages) == len(expected) == 1
    assert MODEL_CALL.match(messages[0]) and MODEL_CALL.match(expected[0])

    reference = REFERENCE['models']['model_duplicate']['error']
    with pytest.raises(TypeError) as raised:
        Model(inputs=x, input=x, output=y)
    assert reference['type'] == 'TypeError' and str(raised.value) == reference['message']


def test_input_layer_input_dtype():
    layer, _, _ = run_recorded(lambda: layers.InputLayer(input_shape=(3,), input_dtype='int32'))
    assert layer.dtype == 'int32' and layer.output.dtype == 'int32'


def test_keras1_add_weight_shape_first():
    class Keras1Layer(layers.Layer):
        def build(self, input_shape):
            self.W = self.add_weight((input_shape[-1], 2), initializer='uniform', name='W')
            self.b = self.add_weight((2,), 'b', initializer='zeros')
            super().build(input_shape)

    layer = Keras1Layer(name='keras1_layer')
    layer.build((None, 3))
    ours = [[w.name.split('/')[-1], list(K.int_shape(w))] for w in layer.weights]
    assert ours == REFERENCE['models']['add_weight']
