"""ConvLSTM2D and ConvLSTM2DCell: against tf_keras 2.21 fixtures (tools/make_convlstm_fixtures.py,
replayed by sequence_cases), a plain NumPy loop, float64 finite differences; masks, stateful,
dropout, configs, saving, and the errors."""
import json
import os

import numpy as np
import pytest

import sequence_cases
from gkeras import backend as K
from gkeras import layers, models
from gkeras.backend import autodiff as ad
from gradcheck import check_gradients
from spatial_reference import conv

PATH = os.path.join(os.path.dirname(__file__), 'fixtures', 'convlstm_reference.npz')
FIXTURES = np.load(PATH, allow_pickle=False)
CASES = sorted({key.split('/')[1] for key in FIXTURES.files if key.startswith('convlstm/')})


def to_np(x):
    return K.active().to_numpy(ad.raw(x))


@pytest.fixture
def convlstm_fixtures(monkeypatch):
    """sequence_cases reading this file's cases."""
    monkeypatch.setattr(sequence_cases, 'FIXTURES', FIXTURES)


def case_layer(case, **overrides):
    """The ConvLSTM2D of a fixture case, built and holding tf_keras' initial weights."""
    spec = json.loads(str(FIXTURES[f'convlstm/{case}/spec']))
    (_, _, kwargs, _, _), = [entry for entry in spec['layers'] if entry[1] == 'ConvLSTM2D']
    layer = layers.ConvLSTM2D(**{**kwargs, **overrides})
    x = FIXTURES[f'convlstm/{case}/x0']
    layer.build((None,) + x.shape[1:])
    layer.set_weights([FIXTURES[f'convlstm/{case}/w_rnn_{k}'] for k in range(len(layer.weights))])
    return layer, x


# ---------------------------------------------------------------------------------------------
# Against tf_keras 2.21 and a NumPy loop

@pytest.mark.parametrize('case', CASES)
def test_convlstm_matches_tf_keras(backend, convlstm_fixtures, case):
    """Predictions, input gradients, and loss and weights after one SGD step."""
    sequence_cases.check('convlstm', case)


def test_time_mask_holds_whole_steps(backend):
    """A (batch, time) mask passed to the call skips the steps that Masking masks as whole
    frames in the fixture (where tf.keras' per-position mask masks every position alike)."""
    layer, x = case_layer('masked_frames_backwards_last')
    mask = np.any(x != 0, axis=(2, 3, 4))
    assert not mask.all()
    np.testing.assert_allclose(to_np(layer(x, mask=mask)),
                               FIXTURES['convlstm/masked_frames_backwards_last/y0'],
                               rtol=2e-4, atol=2e-5)


def test_stateful_batches_and_reset_match_tf_keras(backend):
    prefix = 'stateful/convlstm'
    x1, x2 = FIXTURES[f'{prefix}/x1'], FIXTURES[f'{prefix}/x2']
    model = models.Sequential([layers.ConvLSTM2D(2, (3, 2), padding='same', stateful=True,
                                                 batch_input_shape=x1.shape)])
    model.set_weights([FIXTURES[f'{prefix}/w_rnn_{k}'] for k in range(3)])
    for x, key in ((x1, 'y1'), (x2, 'y2')):
        np.testing.assert_allclose(model.predict(x, batch_size=2), FIXTURES[f'{prefix}/{key}'],
                                   rtol=2e-4, atol=2e-5)
    model.reset_states()
    np.testing.assert_allclose(model.predict(x2, batch_size=2), FIXTURES[f'{prefix}/y2_reset'],
                               rtol=2e-4, atol=2e-5)


def hard_sigmoid(x):
    return np.clip(0.2 * x + 0.5, 0., 1.)


def numpy_convlstm(x, kernel, recurrent_kernel, bias, strides, padding, dilation,
                   go_backwards=False, input_masks=None, recurrent_masks=None):
    """ConvLSTM2D (channels_last, tanh / hard_sigmoid) written out: the sequence of h, and c."""
    f = recurrent_kernel.shape[-1] // 4
    gate = [slice(g * f, (g + 1) * f) for g in range(4)]
    h = c = None
    sequence = []
    for t in (range(x.shape[1])[::-1] if go_backwards else range(x.shape[1])):
        x_t = x[:, t]
        z = [conv(x_t * (1 if input_masks is None else input_masks[g]), kernel[..., gate[g]],
                  strides, padding, dilation) + bias[gate[g]] for g in range(4)]
        if h is None:
            h = c = np.zeros_like(z[0])
        z = [z[g] + conv(h * (1 if recurrent_masks is None else recurrent_masks[g]),
                         recurrent_kernel[..., gate[g]], (1, 1), 'same', (1, 1))
             for g in range(4)]
        c = hard_sigmoid(z[1]) * c + hard_sigmoid(z[0]) * np.tanh(z[2])
        h = hard_sigmoid(z[3]) * np.tanh(c)
        sequence.append(h)
    return np.stack(sequence, axis=1), c


@pytest.mark.parametrize('data_format', ['channels_last', 'channels_first'])
@pytest.mark.parametrize('options', [
    dict(kernel_size=(3, 2), strides=(2, 1), padding='same'),
    dict(kernel_size=2, dilation_rate=(1, 2), padding='valid', go_backwards=True),
])
def test_matches_numpy_loop(backend, rng, data_format, options):
    """Batch of 1, odd sizes, both data formats, a non-contiguous input."""
    x = rng.normal(size=(1, 4, 5, 7, 3))
    layer = layers.ConvLSTM2D(2, return_sequences=True, return_state=True,
                              data_format=data_format, dtype='float64', **options)
    first = data_format == 'channels_first'
    fed = np.moveaxis(x, -1, 2) if first else x
    layer.build(fed.shape)
    kernel, recurrent_kernel, bias = (rng.normal(size=w.shape) * 0.5 for w in layer.weights)
    layer.set_weights([kernel, recurrent_kernel, bias])
    data = K.active().asarray(np.repeat(fed, 2, axis=-1))[..., ::2]
    assert not data.flags.c_contiguous
    sequence, h, c = (to_np(y) for y in layer(data))
    want, want_c = numpy_convlstm(x, kernel, recurrent_kernel, bias, layer.strides,
                                  layer.padding, layer.dilation_rate, layer.go_backwards)
    if first:
        sequence, h, c = np.moveaxis(sequence, 2, -1), np.moveaxis(h, 1, -1), np.moveaxis(c, 1, -1)
    np.testing.assert_allclose(sequence, want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h, want[:, -1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(c, want_c, rtol=1e-10, atol=1e-12)


def test_dropout_masks_are_drawn_once_per_call_and_only_in_training(backend, rng):
    x = rng.normal(size=(2, 3, 4, 5, 2))
    layer = layers.ConvLSTM2D(3, 3, padding='same', dropout=0.4, recurrent_dropout=0.3,
                              return_sequences=True, dtype='float64')
    layer.build(x.shape)
    weights = layer.get_weights()
    trained = to_np(layer(x, training=True))
    cell = layer.cell
    input_masks = [to_np(m) for m in cell._dropout_mask]
    recurrent_masks = [to_np(m) for m in cell._recurrent_dropout_mask]
    # four different masks per kind, each kept for every step, scaled by 1 / (1 - rate)
    assert len({m.tobytes() for m in input_masks}) == 4
    assert {np.round(v, 6) for m in input_masks for v in np.unique(m)} == {0., round(1 / 0.6, 6)}
    assert recurrent_masks[0].shape == (2, 4, 5, 3)
    want, _ = numpy_convlstm(x, *weights, (1, 1), 'same', (1, 1), input_masks=input_masks,
                             recurrent_masks=recurrent_masks)
    np.testing.assert_allclose(trained, want, rtol=1e-10, atol=1e-12)
    again = to_np(layer(x, training=True))
    assert not np.allclose(again, trained)
    plain = layers.ConvLSTM2D(3, 3, padding='same', return_sequences=True, dtype='float64')
    plain.build(x.shape)
    plain.set_weights(weights)
    np.testing.assert_allclose(to_np(layer(x)), to_np(plain(x)), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(to_np(layer(x, training=False)), to_np(plain(x)), rtol=1e-12)


def test_cell_call_is_one_step_of_the_layer(backend, rng):
    """ConvLSTM2DCell.call (the per-step Keras API) computes what the layer's loop computes."""
    layer, x = case_layer('strides2_state')
    _, h, c = layer(x[:, :1])
    step_h, (state_h, state_c) = layer.cell.call(
        ad.constant(x[:, 0]), [ad.constant(np.zeros(h.shape, np.float32))] * 2)
    np.testing.assert_allclose(to_np(step_h), to_np(h), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(to_np(state_c), to_np(c), rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------------------------------------
# Gradients

@pytest.mark.parametrize('options', [
    dict(padding='same', go_backwards=True, masked=True),
    dict(padding='valid', strides=2, data_format='channels_first'),
])
def test_gradients_through_inputs_weights_and_masks(backend, rng, options):
    options = dict(options)
    masked = options.pop('masked', False)
    layer = layers.ConvLSTM2D(2, (3, 2), return_sequences=True, dtype='float64', **options)
    shape = (2, 3, 2, 5, 4) if options.get('data_format') == 'channels_first' else (2, 3, 5, 4, 2)
    layer.build(shape)
    x = rng.normal(size=shape)
    weights = [rng.normal(size=w.shape) * 0.4 for w in layer.weights]
    mask = None
    if masked:
        mask = np.ones(shape[:2] + shape[2:4], bool)   # per position, as Masking gives it
        mask[0, 0] = False
        mask[1, 1, 2, 3] = False

    def run(x, kernel, recurrent_kernel, bias):
        cell = layer.cell
        cell.kernel, cell.recurrent_kernel, cell.bias = kernel, recurrent_kernel, bias
        return layer(x, mask=mask)
    check_gradients(run, x, *weights, noncontiguous=True)


# ---------------------------------------------------------------------------------------------
# Shapes, configs, saving

def test_output_shapes_and_symbolic_graph(backend):
    inputs = layers.Input(shape=(None, 6, 7, 2))
    outputs = layers.ConvLSTM2D(4, 3, strides=(2, 1), return_sequences=True,
                                return_state=True)(inputs)
    assert [tuple(o.shape) for o in outputs] == [(None, None, 2, 5, 4), (None, 2, 5, 4),
                                                 (None, 2, 5, 4)]
    layer = layers.ConvLSTM2D(4, 3, padding='same', data_format='channels_first')
    assert layer.compute_output_shape((None, 5, 2, 6, 7)) == (None, 4, 6, 7)
    model = models.Model(inputs, outputs)
    got = model.predict(np.zeros((3, 2, 6, 7, 2), np.float32))
    assert [g.shape for g in got] == [(3, 2, 2, 5, 4), (3, 2, 5, 4), (3, 2, 5, 4)]


def test_config_round_trip_and_keras_keys(backend):
    layer = layers.ConvLSTM2D(3, (3, 2), strides=(1, 1), padding='same', dilation_rate=2,
                              recurrent_activation='sigmoid', unit_forget_bias=False,
                              kernel_regularizer='l2', dropout=0.2, go_backwards=True,
                              name='video')
    config = layer.get_config()
    assert set(config) == {
        'name', 'trainable', 'dtype', 'return_sequences', 'return_state', 'go_backwards',
        'stateful', 'unroll', 'filters', 'kernel_size', 'strides', 'padding', 'data_format',
        'dilation_rate', 'activation', 'recurrent_activation', 'use_bias', 'kernel_initializer',
        'recurrent_initializer', 'bias_initializer', 'unit_forget_bias', 'kernel_regularizer',
        'recurrent_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint',
        'recurrent_constraint', 'bias_constraint', 'dropout', 'recurrent_dropout'}
    assert config['kernel_size'] == (3, 2) and config['dilation_rate'] == (2, 2)
    assert config['recurrent_activation'] == 'sigmoid' and config['unroll'] is False
    rebuilt = layers.deserialize({'class_name': 'ConvLSTM2D', 'config': config})
    assert type(rebuilt) is layers.ConvLSTM2D and rebuilt.get_config() == config
    # a config as tf.keras 2.21 writes it (time_major, initializer records)
    tf_config = dict(config, time_major=False, kernel_initializer={
        'module': 'keras.initializers', 'class_name': 'GlorotUniform', 'config': {'seed': None},
        'registered_name': None})
    assert layers.deserialize({'class_name': 'ConvLSTM2D', 'config': tf_config}).filters == 3
    cell = layers.ConvLSTM2DCell(2, 3, padding='same')
    assert layers.ConvLSTM2DCell.from_config(cell.get_config()).get_config() == cell.get_config()
    assert 'units' not in cell.get_config()


def test_weights_in_keras_order_and_unit_forget_bias(backend):
    layer = layers.ConvLSTM2D(3, (3, 2), name='clstm', data_format='channels_first')
    layer.build((None, 4, 5, 6, 7))
    assert [w.name for w in layer.weights] == ['clstm/kernel:0', 'clstm/recurrent_kernel:0',
                                               'clstm/bias:0']
    assert [w.shape for w in layer.weights] == [(3, 2, 5, 12), (3, 2, 3, 12), (12,)]
    np.testing.assert_array_equal(layer.get_weights()[2], [0] * 3 + [1] * 3 + [0] * 6)
    assert layer.count_params() == 3 * 2 * 5 * 12 + 3 * 2 * 3 * 12 + 12


def test_model_round_trips_through_h5(backend, rng, tmp_path):
    model = models.Sequential([
        layers.Masking(input_shape=(3, 4, 5, 2)),
        layers.ConvLSTM2D(2, (3, 2), padding='same', return_sequences=True),
        layers.ConvLSTM2D(3, 2, padding='same', go_backwards=True),
        layers.Flatten(),
        layers.Dense(1)])
    model.compile('adam', 'mse')
    x = rng.normal(size=(3, 3, 4, 5, 2)).astype(np.float32)
    x[0, -1] = 0.
    model.train_on_batch(x, rng.normal(size=(3, 1)))
    path = str(tmp_path / 'convlstm.h5')
    model.save(path)
    loaded = models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert [type(layer).__name__ for layer in loaded.layers][1:3] == ['ConvLSTM2D'] * 2


# ---------------------------------------------------------------------------------------------
# States and errors

def test_initial_state_and_reset_states_shapes(backend, rng):
    layer = layers.ConvLSTM2D(2, 3, stateful=True, data_format='channels_first',
                              batch_input_shape=(2, 3, 1, 5, 4))
    layer.build((2, 3, 1, 5, 4))
    assert [s.shape for s in layer.states] == [(2, 2, 3, 2)] * 2
    h = rng.normal(size=(2, 2, 3, 2))
    layer.reset_states([h, h])
    np.testing.assert_array_equal(to_np(layer.states[0]), h.astype(np.float32))
    with pytest.raises(ValueError, match=r"State 0 is incompatible.*expected shape=\(2, 2, 3, 2\)"):
        layer.reset_states([h[..., :1], h])
    plain = layers.ConvLSTM2D(2, 3, data_format='channels_first')
    with pytest.raises(ValueError, match=r"initial_state.*expected size 2 on axis 1"):
        plain(np.zeros((2, 3, 1, 5, 4), np.float32), initial_state=[np.zeros((2, 3, 3, 2))] * 2)


def test_stateful_needs_the_image_size(backend):
    layer = layers.ConvLSTM2D(2, 3, stateful=True)
    with pytest.raises(ValueError, match=r"'conv_lst_m2d_\d+'.*image size"):
        layer.build((2, 3, None, None, 1))


def test_bad_inputs_and_arguments(backend):
    layer = layers.ConvLSTM2D(2, 3, name='frames')
    with pytest.raises(ValueError, match=r"'frames'.*expected ndim=5, found ndim=4"):
        layer(np.zeros((2, 3, 4, 4), np.float32))
    with pytest.raises(ValueError, match=r"'frames'.*too small"):
        layer(np.zeros((2, 3, 2, 4, 1), np.float32))
    with pytest.raises(ValueError, match=r"'frames'.*mask of shape \(batch, time\) \+ \(5, 5\)"):
        # Masking's per-position mask cannot hold the positions of a 'valid' output (tf.keras
        # fails too)
        layers.ConvLSTM2D(2, 3, name='frames')(np.ones((2, 3, 5, 5, 1), np.float32),
                                               mask=np.ones((2, 3, 5, 5), bool))
    with pytest.raises(ValueError, match=r"ConvLSTM2DCell.*filters.*Received: filters=0"):
        layers.ConvLSTM2D(0, 3)
    with pytest.raises(ValueError, match=r"kernel_size.*Received: kernel_size=\(3, 3, 3\)"):
        layers.ConvLSTM2D(2, (3, 3, 3))
    with pytest.raises(ValueError, match=r"padding.*Received: padding='causal'"):
        layers.ConvLSTM2D(2, 3, padding='causal')
    with pytest.raises(ValueError, match=r"strides > 1.*dilation_rate > 1"):
        layers.ConvLSTM2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(TypeError, match=r"Unrolling is not possible"):
        layers.ConvLSTM2D(2, 3, unroll=True)
