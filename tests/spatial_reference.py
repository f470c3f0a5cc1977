"""Plain NumPy loop implementations of the spatial ops, the independent references of the tests,
and helpers to read tests/fixtures/spatial_reference.npz (written by real Keras 2)."""
import itertools
import json
import math
import os

import numpy as np

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'spatial_reference.npz')


def same_pads(length, kernel, stride, dilation=1):
    """TensorFlow's 'same' padding, computed from its definition: out = ceil(length / stride)."""
    span = (kernel - 1) * dilation + 1
    out = math.ceil(length / stride)
    total = max((out - 1) * stride + span - length, 0)
    return total // 2, total - total // 2


def pads_for(padding, lengths, kernel, strides, dilation):
    if padding == 'valid':
        return [(0, 0)] * len(lengths)
    if padding == 'causal':
        return [((k - 1) * d, 0) for k, d in zip(kernel, dilation)]
    return [same_pads(n, k, s, d) for n, k, s, d in zip(lengths, kernel, strides, dilation)]


def to_last(x, channels_first):
    return np.moveaxis(x, 1, -1) if channels_first else x


def from_last(x, channels_first):
    return np.moveaxis(x, -1, 1) if channels_first else x


def conv(x, w, strides, padding, dilation, channels_first=False, groups=1):
    """Cross-correlation of x with a Keras kernel (*window, C // groups, K), output by output."""
    x = to_last(np.asarray(x, np.float64), channels_first)
    rank = w.ndim - 2
    window = w.shape[:rank]
    pads = pads_for(padding, x.shape[1:-1], window, strides, dilation)
    x = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    per_group_in, per_group_out = w.shape[-2], w.shape[-1] // groups
    out_sizes = [(x.shape[1 + i] - (window[i] - 1) * dilation[i] - 1) // strides[i] + 1
                 for i in range(rank)]
    y = np.zeros([x.shape[0]] + out_sizes + [w.shape[-1]])
    for n in range(x.shape[0]):
        for o in itertools.product(*[range(s) for s in out_sizes]):
            for k in range(w.shape[-1]):
                g = k // per_group_out
                total = 0.0
                for t in itertools.product(*[range(s) for s in window]):
                    position = tuple(o[i] * strides[i] + t[i] * dilation[i] for i in range(rank))
                    for c in range(per_group_in):
                        total += x[(n,) + position + (g * per_group_in + c,)] * w[t + (c, k)]
                y[(n,) + o + (k,)] = total
    return from_last(y, channels_first)


def conv_transpose(x, w, output_sizes, strides, pads, dilation, channels_first=False):
    """Transposed convolution by scattering: every input element adds w * x to its window.

    w is the Keras transpose kernel (*window, out_channels, in_channels); pads are the
    (before, after) padding of the forward convolution this op transposes.
    """
    x = to_last(np.asarray(x, np.float64), channels_first)
    rank = w.ndim - 2
    window = w.shape[:rank]
    padded = [n + b + a for n, (b, a) in zip(output_sizes, pads)]
    y = np.zeros([x.shape[0]] + padded + [w.shape[-2]])
    for n in range(x.shape[0]):
        for i in itertools.product(*[range(s) for s in x.shape[1:-1]]):
            for t in itertools.product(*[range(s) for s in window]):
                position = tuple(i[a] * strides[a] + t[a] * dilation[a] for a in range(rank))
                if all(p < s for p, s in zip(position, padded)):
                    y[(n,) + position] += w[t] @ x[(n,) + i]
    crop = (slice(None),) + tuple(slice(b, b + s) for (b, _), s in zip(pads, output_sizes))
    return from_last(y[crop], channels_first)


def pool(x, pool_size, strides, padding, mode, channels_first=False):
    """Max or average pooling; 'same' windows see only real elements (as TensorFlow)."""
    x = to_last(np.asarray(x, np.float64), channels_first)
    rank = len(pool_size)
    pads = pads_for(padding, x.shape[1:-1], pool_size, strides, (1,) * rank)
    out_sizes = [(n + b + a - k) // s + 1 for n, (b, a), k, s in
                 zip(x.shape[1:-1], pads, pool_size, strides)]
    y = np.zeros([x.shape[0]] + out_sizes + [x.shape[-1]])
    for o in itertools.product(*[range(s) for s in out_sizes]):
        region = tuple(slice(max(o[i] * strides[i] - pads[i][0], 0),
                             o[i] * strides[i] - pads[i][0] + pool_size[i]) for i in range(rank))
        values = x[(slice(None),) + region + (slice(None),)].reshape(x.shape[0], -1, x.shape[-1])
        y[(slice(None),) + o] = values.max(axis=1) if mode == 'max' else values.mean(axis=1)
    return from_last(y, channels_first)


def load_fixtures():
    return np.load(FIXTURES)


def fixture_cases(fixtures, group, classes):
    """Case names of `group` ('layer' or 'train') whose layers are all among `classes`."""
    names = sorted({key.split('/')[1] for key in fixtures.files if key.startswith(group + '/')})
    if group == 'layer':
        return [n for n in names if str(fixtures[f'layer/{n}/class']) in classes]
    return [n for n in names
            if any(c in classes for c, _ in json.loads(str(fixtures[f'train/{n}/layers'])))]


def fixture_weights(fixtures, prefix, suffix=''):
    weights = []
    while f'{prefix}w{len(weights)}{suffix}' in fixtures.files:
        weights.append(fixtures[f'{prefix}w{len(weights)}{suffix}'])
    return weights


def check_layer_fixture(fixtures, case, layers_module, backend, channels_first=False):
    """Run fixture layer `case` (optionally as channels_first on transposed data) and compare
    its output and its input gradient with tf.keras'."""
    from gkeras.backend import autodiff as ad
    prefix = f'layer/{case}/'
    kwargs = json.loads(str(fixtures[prefix + 'kwargs']))
    x, y, r, grad_x = (fixtures[prefix + k] for k in ('x', 'y', 'r', 'grad_x'))
    if channels_first:
        kwargs['data_format'] = 'channels_first'
        x, y, r, grad_x = (np.ascontiguousarray(np.moveaxis(a, -1, 1)) for a in (x, y, r, grad_x))
    layer = getattr(layers_module, str(fixtures[prefix + 'class']))(**kwargs)
    layer.build(x.shape)
    layer.set_weights(fixture_weights(fixtures, prefix))
    xv = ad.Variable(backend.asarray(x))
    out = layer(xv)
    got_grad = ad.gradients(ad.reduce_sum(out * backend.asarray(r)), [xv])[0]
    np.testing.assert_allclose(backend.to_numpy(out.data), y, rtol=1e-5, atol=1e-5,
                               err_msg=f'{case}: output')
    np.testing.assert_allclose(backend.to_numpy(got_grad), grad_x, rtol=1e-5, atol=1e-5,
                               err_msg=f'{case}: input gradient')


def check_train_fixture(fixtures, case, backend):
    """One SGD(0.1) step of the fixture model: predictions, loss and every weight after it."""
    from gkeras import layers, optimizers
    from gkeras.models import Sequential
    prefix = f'train/{case}/'
    x, y = fixtures[prefix + 'x'], fixtures[prefix + 'y']
    stack = [getattr(layers, c)(**kw) for c, kw in json.loads(str(fixtures[prefix + 'layers']))]
    model = Sequential([layers.InputLayer(input_shape=x.shape[1:])] + stack
                       + [layers.Dense(3, activation='softmax')])
    before = fixture_weights(fixtures, prefix)
    after = fixture_weights(fixtures, prefix, '_after')
    model.set_weights(before)
    model.compile(optimizers.SGD(learning_rate=0.1), 'categorical_crossentropy')
    np.testing.assert_allclose(model.predict(x), fixtures[prefix + 'y_pred'], rtol=1e-4,
                               atol=1e-6, err_msg=f'{case}: predictions')
    loss = model.train_on_batch(x, y)
    np.testing.assert_allclose(float(np.asarray(loss)), float(fixtures[prefix + 'loss']),
                               rtol=1e-5, err_msg=f'{case}: loss')
    for i, (w, b, a) in enumerate(zip(model.get_weights(), before, after)):
        assert np.abs(a - b).max() > 1e-3, f'{case}: weight {i} barely moves in the fixture'
        np.testing.assert_allclose(w, a, rtol=1e-4, atol=1e-5, err_msg=f'{case}: weight {i}')
