"""Files written by real Keras (tf_keras 2.21 and Keras 2.2.5, see tools/make_saving_fixtures.py)
load in gkeras and predict what Keras predicted; compiled ones resume training where Keras did."""
import json
import os
import sys
import warnings

import h5py
import numpy as np
import pytest

from gkeras.layers.serialization import layer_classes
from gkeras.models import load_model, model_from_json, model_from_yaml

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'saving')
STEMS = sorted(name[:-len('.npz')] for name in os.listdir(FIXTURES) if name.endswith('.npz'))


def _affine(t):
    return t * 2.0 + 1.0


def _class_names(config):
    """Every class_name in a config, nested models and wrappers included."""
    if isinstance(config, dict):
        names = {config['class_name']} if isinstance(config.get('class_name'), str) else set()
        return names.union(*(_class_names(v) for v in config.values()))
    if isinstance(config, list):
        return set().union(*(_class_names(v) for v in config))
    return set()


def _require_layers(stem):
    with h5py.File(os.path.join(FIXTURES, stem + '.h5'), 'r') as handle:
        config = json.loads(handle.attrs['model_config'])
    known = set(layer_classes())
    missing = sorted(name for name in _class_names(config['config'])
                     if name[0].isupper() and name not in known and name not in _NOT_LAYERS)
    if missing:
        pytest.skip(f"gkeras has no {missing} yet")


# Class names in model configs that are initializers, regularizers or constraints, not layers.
_NOT_LAYERS = {'VarianceScaling', 'Zeros', 'Ones', 'RandomUniform', 'Orthogonal', 'GlorotUniform',
               'L1L2', 'L2', 'Constant', 'RandomNormal', 'TruncatedNormal', 'DTypePolicy'}


def _load_kwargs(stem):
    if stem.endswith('_lambda'):
        # The function is marshalled bytecode; supplying it keeps safe_mode on.
        return {'custom_objects': {'affine': _affine}}
    return {}


def _inputs(data, prefix='x'):
    return [data[f'{prefix}{i}'] for i in range(sum(1 for k in data.files
                                                    if k.startswith(prefix) and k[len(prefix):].isdigit()))]


def _check_predictions(model, data):
    xs = _inputs(data)
    predicted = model.predict(xs if len(xs) > 1 else xs[0])
    predicted = predicted if isinstance(predicted, list) else [predicted]
    expected = _inputs(data, 'y')
    assert len(predicted) == len(expected)
    for got, want in zip(predicted, expected):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=2e-5)


@pytest.mark.parametrize('stem', STEMS)
def test_load_model_predicts_what_keras_predicted(backend, stem):
    _require_layers(stem)
    model = load_model(os.path.join(FIXTURES, stem + '.h5'), **_load_kwargs(stem))
    _check_predictions(model, np.load(os.path.join(FIXTURES, stem + '.npz')))


@pytest.mark.parametrize('stem', STEMS)
def test_model_from_json_and_load_weights(backend, stem):
    _require_layers(stem)
    with open(os.path.join(FIXTURES, stem + '.json')) as handle:
        model = model_from_json(handle.read(), **_load_kwargs(stem))
    model.load_weights(os.path.join(FIXTURES, stem + '_weights.h5'))
    _check_predictions(model, np.load(os.path.join(FIXTURES, stem + '.npz')))


@pytest.mark.parametrize('stem', [s for s in STEMS if 'train_losses' in
                                  np.load(os.path.join(FIXTURES, s + '.npz')).files])
def test_training_resumes_where_keras_left_off(backend, stem):
    """Keras trained three more batches after saving; gkeras, loading the file, gets its losses."""
    _require_layers(stem)
    with warnings.catch_warnings():
        warnings.simplefilter('error')       # a state that does not fit warns, as in Keras
        model = load_model(os.path.join(FIXTURES, stem + '.h5'), **_load_kwargs(stem))
    data = np.load(os.path.join(FIXTURES, stem + '.npz'))
    xs, ys = _inputs(data, 'train_x'), _inputs(data, 'train_y')
    losses = []
    for step in range(len(data['train_losses'])):
        bx = [x[step] for x in xs]
        by = [y[step] for y in ys]
        result = model.train_on_batch(bx if len(bx) > 1 else bx[0], by if len(by) > 1 else by[0])
        losses.append(float(np.atleast_1d(result)[0]))
    np.testing.assert_allclose(losses, data['train_losses'], rtol=2e-4, atol=1e-6)


def test_keras22_yaml_with_python_tuples_loads_safely(backend):
    """Keras 2.2's to_yaml tags tuples !!python/tuple; they load without an unsafe YAML loader."""
    with open(os.path.join(FIXTURES, 'k22_mlp_seq.yaml')) as handle:
        model = model_from_yaml(handle.read())
    model.load_weights(os.path.join(FIXTURES, 'k22_mlp_seq_weights.h5'))
    _check_predictions(model, np.load(os.path.join(FIXTURES, 'k22_mlp_seq.npz')))


def test_keras_lambda_bytecode_needs_safe_mode_off(backend):
    path = os.path.join(FIXTURES, 'tfk_lambda.h5')
    with pytest.raises(ValueError, match=r"'affine'.*bytecode.*safe_mode=False"):
        load_model(path)
    with open(os.path.join(FIXTURES, 'tfk_versions.json')) as handle:
        written_by = json.load(handle)['python'].split('.')[:2]
    if written_by != [str(v) for v in sys.version_info[:2]]:
        pytest.skip(f"the bytecode was written by Python {'.'.join(written_by)}")
    model = load_model(path, safe_mode=False)
    _check_predictions(model, np.load(os.path.join(FIXTURES, 'tfk_lambda.npz')))


def test_keras_weight_files_name_weights_like_gkeras(backend):
    """The layer and weight names Keras wrote are the ones gkeras writes for the same model."""
    model = load_model(os.path.join(FIXTURES, 'k22_mlp_seq.h5'))
    path = os.path.join(FIXTURES, 'k22_mlp_seq_weights.h5')
    with h5py.File(path, 'r') as handle:
        assert [n.decode() for n in handle.attrs['layer_names']] == [l.name for l in model.layers]
        for layer in model.layers:
            names = [n.decode() for n in handle[layer.name].attrs['weight_names']]
            assert names == [w.name for w in layer.weights]


@pytest.mark.parametrize('stem', [s for s in STEMS if s.startswith('k22_')])
def test_keras22_optimizer_state_is_restored(backend, stem):
    """Keras 2.2 stores [iterations] + slots kind by kind (RMSprop, Adagrad and Adadelta without
    iterations); gkeras restores every array (its step count starting at 0 where none is saved)."""
    _require_layers(stem)
    path = os.path.join(FIXTURES, stem + '.h5')
    model = load_model(path, **_load_kwargs(stem))
    with h5py.File(path, 'r') as handle:
        group = handle['optimizer_weights']
        saved = [np.asarray(group[n]) for n in group.attrs['weight_names']]
    state = model.optimizer.get_weights()
    if saved[0].shape != ():
        assert state[0] == 0
        state = state[1:]
    assert len(state) == len(saved)
    for got, want in zip(state, saved):
        np.testing.assert_array_equal(got, want)
