"""The cases of tests/fixtures/sequence_reference.npz (written by tools/make_sequence_fixtures.py
with tf_keras 2.21): rebuild each model in gkeras from its stored spec and compare predictions,
the training-phase output, input gradients, the loss and the weights after SGD steps."""
import json
import os

import numpy as np

from gkeras import backend as K
from gkeras import layers, optimizers
from gkeras.backend import autodiff as ad
from gkeras.models import Model

PATH = os.path.join(os.path.dirname(__file__), 'fixtures', 'sequence_reference.npz')
FIXTURES = np.load(PATH, allow_pickle=False)


def names(group):
    """The case names of a fixture group, sorted."""
    return sorted({key.split('/')[1] for key in FIXTURES.files if key.startswith(group + '/')})


def spec_of(group, case):
    return json.loads(str(FIXTURES[f'{group}/{case}/spec']))


def _resolve(value):
    if isinstance(value, dict) and 'class' in value:
        return getattr(layers, value['class'])(**{k: _resolve(v)
                                                  for k, v in value['kwargs'].items()})
    if isinstance(value, list) and value and isinstance(value[0], dict) and 'class' in value[0]:
        return [_resolve(v) for v in value]
    return value


def build(spec):
    """The functional model a spec describes (the same interpreter as the generator's)."""
    tensors, inputs = {}, []
    for i, inp in enumerate(spec['inputs']):
        if 'batch_shape' in inp:
            x = layers.Input(batch_shape=tuple(inp['batch_shape']), dtype=inp.get('dtype'))
        else:
            x = layers.Input(shape=tuple(inp['shape']), dtype=inp.get('dtype'))
        tensors[f'in{i}'] = x
        inputs.append(x)
    for name, cls, kwargs, inbound, call in spec['layers']:
        layer = getattr(layers, cls)(name=name, **{k: _resolve(v) for k, v in kwargs.items()})
        args = [tensors[n] for n in inbound]
        call_kwargs = {k: [tensors[n] for n in v] for k, v in call.items()}
        result = layer(args[0] if len(args) == 1 else args, **call_kwargs)
        if isinstance(result, list):
            for i, r in enumerate(result):
                tensors[f'{name}:{i}'] = r
        else:
            tensors[name] = result
    return Model(inputs, [tensors[n] for n in spec['outputs']])


def _arrays(prefix, letter):
    out = []
    while f'{prefix}/{letter}{len(out)}' in FIXTURES.files:
        out.append(FIXTURES[f'{prefix}/{letter}{len(out)}'])
    return out


def _layer_weights(prefix, model, letter):
    weights = {}
    for layer in model.layers:
        values = []
        while f'{prefix}/{letter}_{layer.name}_{len(values)}' in FIXTURES.files:
            values.append(FIXTURES[f'{prefix}/{letter}_{layer.name}_{len(values)}'])
        if values:
            weights[layer.name] = values
    return weights


def _set(model, weights):
    for layer in model.layers:
        if layer.name in weights:
            layer.set_weights(weights[layer.name])


def check(group, case, rtol=2e-4, atol=2e-5, edit_spec=None):
    """Run one fixture case in gkeras on the active backend and compare with tf_keras."""
    K.clear_session()
    prefix = f'{group}/{case}'
    spec = spec_of(group, case)
    if edit_spec is not None:
        edit_spec(spec)
    model = build(spec)
    initial = _layer_weights(prefix, model, 'w')
    assert sum(len(w) for w in initial.values()) == len(model.weights), 'weights not all set'
    _set(model, initial)
    xs = _arrays(prefix, 'x')
    expected = _arrays(prefix, 'y')
    predicted = model.predict(xs, batch_size=len(xs[0]))
    predicted = predicted if isinstance(predicted, list) else [predicted]
    assert len(predicted) == len(expected)
    for i, (got, want) in enumerate(zip(predicted, expected)):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=f'{prefix} y{i}')

    backend = K.active()
    if spec.get('training_output'):
        trained = model([ad.constant(x) for x in xs], training=True)
        trained = trained if isinstance(trained, list) else [trained]
        for i, (got, want) in enumerate(zip(trained, _arrays(prefix, 'yt'))):
            np.testing.assert_allclose(backend.to_numpy(got.data), want, rtol=rtol, atol=atol,
                                       err_msg=f'{prefix} yt{i}')
        _set(model, initial)

    rs = _arrays(prefix, 'r')
    variables = [ad.Variable(backend.asarray(x)) if x.dtype.kind == 'f' else ad.constant(x)
                 for x in xs]
    outputs = model(variables)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    total = None
    for y, r in zip(outputs, rs):
        term = K.sum(y * ad.constant(r))
        total = term if total is None else total + term
    watched = [i for i, x in enumerate(xs) if x.dtype.kind == 'f']
    grads = ad.gradients(total, [variables[i] for i in watched])
    for i, g in zip(watched, grads):
        np.testing.assert_allclose(backend.to_numpy(g), FIXTURES[f'{prefix}/g{i}'], rtol=rtol,
                                   atol=atol, err_msg=f'{prefix} g{i}')

    model.compile(optimizers.SGD(lr=0.1), 'mse')
    for _ in range(spec.get('steps', 1)):
        loss = model.train_on_batch(xs, _arrays(prefix, 't'))
    loss = loss[0] if isinstance(loss, list) else loss
    np.testing.assert_allclose(loss, FIXTURES[f'{prefix}/loss'], rtol=rtol, atol=atol,
                               err_msg=f'{prefix} loss')
    after = _layer_weights(prefix, model, 'a')
    for layer in model.layers:
        for k, (got, want) in enumerate(zip(layer.get_weights(), after.get(layer.name, []))):
            np.testing.assert_allclose(got, want, rtol=rtol, atol=atol,
                                       err_msg=f'{prefix} weight {k} of {layer.name} after SGD')
    return model
