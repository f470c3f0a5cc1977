"""gkeras.optimizers: tf_keras 2.21 trajectories, in-place updates, state, configs, errors."""
import os

import numpy as np
import pytest

from gkeras import backend as K
from gkeras import constraints, optimizers
from gkeras.backend import autodiff as ad
from gkeras.backend import cpu_threads

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'keras_reference.npz')


@pytest.fixture(scope='module')
def keras_reference():
    if not os.path.exists(FIXTURES):
        pytest.skip('tests/fixtures/keras_reference.npz has not been generated')
    with np.load(FIXTURES) as data:
        return {k: data[k] for k in data.files}


# fixture case -> the gkeras optimizer that must follow the same trajectory
TF_KERAS_CASES = {
    'sgd': lambda: optimizers.SGD(learning_rate=0.1),
    'sgd_momentum': lambda: optimizers.SGD(lr=0.1, momentum=0.9),
    'sgd_nesterov': lambda: optimizers.SGD(lr=0.1, momentum=0.9, nesterov=True),
    'rmsprop': lambda: optimizers.RMSprop(lr=0.01),
    'rmsprop_rho08': lambda: optimizers.RMSprop(lr=0.01, rho=0.8),
    'adam': lambda: optimizers.Adam(lr=0.01),
    'adam_amsgrad': lambda: optimizers.Adam(lr=0.01, amsgrad=True),
    'adam_amsgrad_beta2': lambda: optimizers.Adam(lr=0.01, beta_2=0.5, amsgrad=True),
    'adam_beta2': lambda: optimizers.Adam(lr=0.01, beta_2=0.5),
    'adagrad': lambda: optimizers.Adagrad(lr=0.1),
    'adadelta': lambda: optimizers.Adadelta(lr=1.0),
    'adamax': lambda: optimizers.Adamax(lr=0.01),
    # tf_keras 2.21's default Nadam is the Keras 2 rule with the schedule exponent t * 1
    'nadam': lambda: optimizers.Nadam(lr=0.01, schedule_decay=1.0),
    'sgd_clipnorm': lambda: optimizers.SGD(lr=0.1, clipnorm=1.0),
    'sgd_clipvalue': lambda: optimizers.SGD(lr=0.1, clipvalue=0.05),
    'legacy_sgd_decay': lambda: optimizers.SGD(lr=0.1, decay=0.1),
    'legacy_adam_decay': lambda: optimizers.Adam(lr=0.01, decay=0.1),
    'legacy_sgd_momentum': lambda: optimizers.SGD(lr=0.1, momentum=0.9),
    'legacy_sgd_nesterov': lambda: optimizers.SGD(lr=0.1, momentum=0.9, nesterov=True),
    'legacy_rmsprop': lambda: optimizers.RMSprop(lr=0.01),
    'legacy_adam': lambda: optimizers.Adam(lr=0.01),
    'legacy_adam_amsgrad': lambda: optimizers.Adam(lr=0.01, amsgrad=True),
    'legacy_adagrad': lambda: optimizers.Adagrad(lr=0.1),
    # epsilon=0.1 tells outside the square root (these, Keras 2.2) from inside (tf_keras'
    # default RMSprop and Adagrad, which agree with gkeras only to float32 rounding at 1e-7)
    'legacy_rmsprop_eps01': lambda: optimizers.RMSprop(lr=0.01, epsilon=0.1),
    'legacy_adagrad_eps01': lambda: optimizers.Adagrad(lr=0.1, epsilon=0.1),
    'legacy_adadelta': lambda: optimizers.Adadelta(lr=1.0),
    'legacy_adamax': lambda: optimizers.Adamax(lr=0.01),
    # Keras 2's Nadam(schedule_decay=0.004), the gkeras default
    'legacy_nadam': lambda: optimizers.Nadam(lr=0.01),
}


def _variables(backend, *arrays):
    return [ad.Variable(backend.asarray(np.array(a)), name=f'v{i}') for i, a in enumerate(arrays)]


def _trajectory(backend, opt, w0, b0, gw, gb):
    w, b = _variables(backend, w0, b0)
    ws, bs = [], []
    for step in range(len(gw)):
        opt.apply_gradients([w, b], [backend.asarray(gw[step]), backend.asarray(gb[step])])
        ws.append(backend.to_numpy(w.data).copy())
        bs.append(backend.to_numpy(b.data).copy())
    return np.stack(ws), np.stack(bs)


@pytest.mark.parametrize('case', sorted(TF_KERAS_CASES))
def test_matches_tf_keras_trajectory(backend, keras_reference, case):
    if f'optimizers/{case}/w' not in keras_reference:
        pytest.skip(f'fixture case {case} not generated')
    inputs = [keras_reference[f'optimizers/inputs/{k}'] for k in ('w0', 'b0', 'gw', 'gb')]
    ws, bs = _trajectory(backend, TF_KERAS_CASES[case](), *inputs)
    np.testing.assert_allclose(ws, keras_reference[f'optimizers/{case}/w'], rtol=2e-6, atol=2e-6)
    np.testing.assert_allclose(bs, keras_reference[f'optimizers/{case}/b'], rtol=2e-6, atol=2e-6)


def test_nadam_schedule_decay_changes_the_trajectory(backend, keras_reference):
    inputs = [keras_reference[f'optimizers/inputs/{k}'] for k in ('w0', 'b0', 'gw', 'gb')]
    keras2, _ = _trajectory(backend, optimizers.Nadam(lr=0.01), *inputs)
    assert np.abs(keras2 - keras_reference['optimizers/nadam/w']).max() > 1e-4


# Independent NumPy references for what the fixtures do not cover.
def _rmsprop_decay_reference(w, grads, lr, rho, decay, eps=1e-7):
    w, v = w.astype(np.float64), np.zeros_like(w, dtype=np.float64)
    for i, g in enumerate(grads):
        v = rho * v + (1 - rho) * g ** 2
        w = w - lr / (1 + decay * i) * g / (np.sqrt(v) + eps)
    return w


def test_decay_on_rmsprop_matches_numpy(backend, rng):
    w0 = rng.normal(size=(4, 3))
    grads = rng.normal(size=(6, 4, 3))
    (w,) = _variables(backend, w0)
    opt = optimizers.RMSprop(lr=0.05, rho=0.8, decay=0.3)
    for g in grads:
        opt.apply_gradients([w], [backend.asarray(g)])
    np.testing.assert_allclose(backend.to_numpy(w.data),
                               _rmsprop_decay_reference(w0, grads, 0.05, 0.8, 0.3), rtol=1e-7)


def test_float64_parameters_stay_float64_and_match_numpy(backend, rng):
    w0, grads = rng.normal(size=(3, 2)), rng.normal(size=(4, 3, 2))
    (w,) = _variables(backend, w0)
    opt = optimizers.Adam(lr=0.1)
    for g in grads:
        opt.apply_gradients([w], [backend.asarray(g)])
    assert w.dtype == np.float64
    m, v, expected = np.zeros_like(w0), np.zeros_like(w0), w0.copy()
    for t, g in enumerate(grads, start=1):
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        expected -= 0.1 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t) * m / (np.sqrt(v) + 1e-7)
    # the learning rate is a floatx (float32) variable, as in Keras: 0.1 is off by ~1.5e-9
    np.testing.assert_allclose(backend.to_numpy(w.data), expected, rtol=1e-7)


@pytest.mark.parametrize('name', ['sgd', 'rmsprop', 'adagrad', 'adadelta', 'adam', 'adamax',
                                  'nadam'])
def test_updates_happen_in_place_and_count_iterations(backend, rng, name):
    w, b = _variables(backend, rng.normal(size=(3, 2)).astype(np.float32),
                      rng.normal(size=(2,)).astype(np.float32))
    arrays = (w.data, b.data)
    before = [backend.to_numpy(a).copy() for a in arrays]
    opt = optimizers.get(name)
    for _ in range(3):
        opt.apply_gradients([w, b], [backend.xp.ones((3, 2), 'float32'),
                                     backend.xp.ones(2, 'float32')])
    assert w.data is arrays[0] and b.data is arrays[1]
    assert w.dtype == np.float32
    assert not np.allclose(backend.to_numpy(w.data), before[0])
    assert isinstance(opt.iterations, ad.Variable)
    assert isinstance(opt.iterations.data, backend.xp.ndarray)
    assert opt.iterations.dtype == np.int64 and int(opt.iterations.data) == 3


def test_sgd_momentum_matches_numpy(backend, rng):
    w0, grads = rng.normal(size=(5,)), rng.normal(size=(4, 5))
    (w,) = _variables(backend, w0)
    opt = optimizers.SGD(lr=0.2, momentum=0.5, nesterov=True)
    for g in grads:
        opt.apply_gradients([w], [backend.asarray(g)])
    m, expected = np.zeros(5), w0.copy()
    for g in grads:
        m = 0.5 * m - 0.2 * g
        expected += 0.5 * m - 0.2 * g
    np.testing.assert_allclose(backend.to_numpy(w.data), expected, rtol=1e-7)


# every optimizer and option whose update has its own code path
UPDATE_CASES = {
    'sgd': lambda: optimizers.SGD(lr=0.1),
    'sgd_momentum': lambda: optimizers.SGD(lr=0.1, momentum=0.9),
    'sgd_nesterov_clipped': lambda: optimizers.SGD(lr=0.1, momentum=0.9, nesterov=True,
                                                   clipnorm=0.5, clipvalue=0.02),
    'rmsprop_decay': lambda: optimizers.RMSprop(lr=0.01, decay=0.1),
    'adagrad': lambda: optimizers.Adagrad(lr=0.1),
    'adadelta': lambda: optimizers.Adadelta(lr=1.0, rho=0.5),
    'adam': lambda: optimizers.Adam(lr=0.01, clipvalue=0.5),
    'adam_amsgrad': lambda: optimizers.Adam(lr=0.01, beta_2=0.5, amsgrad=True),
    'adamax': lambda: optimizers.Adamax(lr=0.01, clipnorm=1.0),
    'nadam': lambda: optimizers.Nadam(lr=0.01),
}


def _run_update_case(backend, case, shapes, grads):
    """Parameters (one in Fortran order) after len(grads) steps, then the optimizer state."""
    params = [ad.Variable(backend.asarray(np.linspace(-1, 1, int(np.prod(s)), dtype=np.float32)
                                          .reshape(s)), name=f'v{i}')
              for i, s in enumerate(shapes)]
    params[1].data = backend.xp.asfortranarray(params[1].data)
    opt = UPDATE_CASES[case]()
    for step in grads:
        given = [backend.asarray(g) for g in step]
        opt.apply_gradients(params, given)
        for g, original in zip(given, step):  # the gradients are read, never written
            np.testing.assert_array_equal(backend.to_numpy(g), original)
    return [backend.to_numpy(p.data) for p in params] + opt.get_weights()


@pytest.mark.parametrize('case', sorted(UPDATE_CASES))
def test_update_in_pieces_is_bit_for_bit_the_whole_array_update(backend, rng, monkeypatch, case):
    shapes = [(3, 4), (4, 3), (), (7,)]
    grads = [[rng.normal(size=s).astype(np.float32) for s in shapes] for _ in range(3)]
    whole = _run_update_case(backend, case, shapes, grads)
    monkeypatch.setattr(optimizers, '_PIECE', 5)  # the (3, 4) ones in pieces of at most 5
    pieces = _run_update_case(backend, case, shapes, grads)
    assert len(whole) == len(pieces)
    for a, b in zip(whole, pieces):
        np.testing.assert_array_equal(a, b)
    if cpu_threads.set_thread_count(3) == 3:  # the pieces spread over three threads
        try:
            threaded = _run_update_case(backend, case, shapes, grads)
        finally:
            cpu_threads.set_thread_count(None)
        for a, b in zip(whole, threaded):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize('case', sorted(UPDATE_CASES))
def test_a_step_allocates_no_array_of_the_parameters_size(case):
    import tracemalloc  # NumPy reports its array buffers to tracemalloc
    K.set_backend('numpy')
    # large enough that NumPy's own fixed-size buffers (8192 elements; NumPy 1.x's reductions
    # take one) stay far below the bound, while a temporary of the parameter's size would not
    w = ad.Variable(np.linspace(-1, 1, 600 * 800, dtype=np.float32).reshape(600, 800))
    grad = np.full((600, 800), 0.25, np.float32)
    opt = UPDATE_CASES[case]()
    opt.apply_gradients([w], [grad])  # creates the slots and scratch buffers
    tracemalloc.start()
    try:
        opt.apply_gradients([w], [grad])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < w.data.nbytes // 16


def test_changing_the_learning_rate_takes_effect_on_the_next_step(backend):
    (w,) = _variables(backend, np.zeros(3, np.float32))
    opt = optimizers.SGD(lr=0.1)
    grad = backend.xp.ones(3, 'float32')
    opt.apply_gradients([w], [grad])
    opt.lr = 0.5
    opt.apply_gradients([w], [grad])
    K.set_value(opt.lr, 0.25)
    opt.apply_gradients([w], [grad])
    opt.learning_rate = 1.0
    opt.apply_gradients([w], [grad])
    np.testing.assert_allclose(backend.to_numpy(w.data), -(0.1 + 0.5 + 0.25 + 1.0), rtol=1e-6)
    assert opt.learning_rate is opt.lr
    assert float(K.get_value(opt.lr)) == 1.0


def test_learning_rate_is_a_synonym_of_lr():
    for cls in (optimizers.SGD, optimizers.RMSprop, optimizers.Adagrad, optimizers.Adadelta,
                optimizers.Adam, optimizers.Adamax, optimizers.Nadam):
        assert float(K.get_value(cls(learning_rate=0.123).lr)) == pytest.approx(0.123)
        assert float(K.get_value(cls(lr=0.321).learning_rate)) == pytest.approx(0.321)


@pytest.mark.parametrize('cls,defaults', [
    (optimizers.SGD, {'lr': 0.01, 'momentum': 0., 'decay': 0., 'nesterov': False}),
    (optimizers.RMSprop, {'lr': 0.001, 'rho': 0.9, 'decay': 0., 'epsilon': 1e-7}),
    (optimizers.Adagrad, {'lr': 0.01, 'decay': 0., 'epsilon': 1e-7}),
    (optimizers.Adadelta, {'lr': 1.0, 'rho': 0.95, 'decay': 0., 'epsilon': 1e-7}),
    (optimizers.Adam, {'lr': 0.001, 'beta_1': 0.9, 'beta_2': 0.999, 'decay': 0., 'epsilon': 1e-7,
                       'amsgrad': False}),
    (optimizers.Adamax, {'lr': 0.002, 'beta_1': 0.9, 'beta_2': 0.999, 'decay': 0.,
                         'epsilon': 1e-7}),
    (optimizers.Nadam, {'lr': 0.002, 'beta_1': 0.9, 'beta_2': 0.999, 'epsilon': 1e-7,
                        'schedule_decay': 0.004}),
])
def test_keras2_defaults_and_config_keys(cls, defaults):
    config = cls().get_config()
    assert set(config) == set(defaults)
    for key, value in defaults.items():
        assert config[key] == pytest.approx(value)


def test_config_round_trip_with_clipping():
    opt = optimizers.Adam(lr=0.02, beta_1=0.8, amsgrad=True, decay=0.01, clipnorm=2., clipvalue=0.5)
    config = opt.get_config()
    assert config['clipnorm'] == 2. and config['clipvalue'] == 0.5
    again = optimizers.Adam.from_config(config)
    assert again.get_config() == config
    serialized = optimizers.serialize(opt)
    assert serialized == {'class_name': 'Adam', 'config': config}
    assert optimizers.deserialize(serialized).get_config() == config


@pytest.mark.parametrize('name,cls', [('sgd', optimizers.SGD), ('SGD', optimizers.SGD),
                                      ('rmsprop', optimizers.RMSprop),
                                      ('RMSprop', optimizers.RMSprop),
                                      ('adagrad', optimizers.Adagrad),
                                      ('adadelta', optimizers.Adadelta),
                                      ('adam', optimizers.Adam), ('Adam', optimizers.Adam),
                                      ('adamax', optimizers.Adamax), ('nadam', optimizers.Nadam)])
def test_get_by_name(name, cls):
    assert type(optimizers.get(name)) is cls


def test_get_passes_instances_through_and_rejects_the_rest():
    opt = optimizers.SGD()
    assert optimizers.get(opt) is opt
    with pytest.raises(ValueError, match='optimizer'):
        optimizers.get(0.1)
    with pytest.raises(ValueError) as info:
        optimizers.get('adamw')
    message = str(info.value)
    assert 'adamw' in message
    for known in ('SGD', 'RMSprop', 'Adagrad', 'Adadelta', 'Adam', 'Adamax', 'Nadam'):
        assert known in message


def test_deserialize_tf_keras_configs():
    adam = optimizers.deserialize({'class_name': 'Adam', 'config': {
        'name': 'Adam', 'weight_decay': None, 'clipnorm': None, 'global_clipnorm': None,
        'clipvalue': None, 'use_ema': False, 'ema_momentum': 0.99, 'ema_overwrite_frequency': None,
        'jit_compile': False, 'is_legacy_optimizer': False, 'learning_rate': 0.003,
        'beta_1': 0.8, 'beta_2': 0.99, 'epsilon': 1e-07, 'amsgrad': True}})
    assert isinstance(adam, optimizers.Adam)
    assert adam.get_config() == pytest.approx({'lr': 0.003, 'beta_1': 0.8, 'beta_2': 0.99,
                                               'decay': 0., 'epsilon': 1e-7, 'amsgrad': True})
    rms = optimizers.deserialize({'class_name': 'RMSprop', 'config': {
        'name': 'RMSprop', 'learning_rate': 0.01, 'rho': 0.8, 'momentum': 0.0, 'epsilon': 1e-07,
        'centered': False, 'ema_overwrite_frequency': 100, 'clipnorm': 1.5}})
    assert rms.get_config() == pytest.approx({'clipnorm': 1.5, 'lr': 0.01, 'rho': 0.8, 'decay': 0.,
                                              'epsilon': 1e-7})
    adagrad = optimizers.deserialize({'class_name': 'Adagrad', 'config': {
        'learning_rate': 0.01, 'initial_accumulator_value': 0.1, 'epsilon': 1e-07}})
    assert isinstance(adagrad, optimizers.Adagrad)
    nadam = optimizers.deserialize({'class_name': 'Nadam', 'config': {
        'name': 'Nadam', 'learning_rate': 0.001, 'decay': 0.004, 'beta_1': 0.9, 'beta_2': 0.999,
        'epsilon': 1e-07}})
    assert nadam.schedule_decay == 0.004
    sgd = optimizers.deserialize({'class_name': 'SGD', 'config': {
        'name': 'SGD', 'learning_rate': 0.1, 'decay': 0.0, 'momentum': 0.9, 'nesterov': True}})
    assert sgd.get_config() == pytest.approx({'lr': 0.1, 'momentum': 0.9, 'decay': 0.,
                                              'nesterov': True})


@pytest.mark.parametrize('key,value', [('weight_decay', 0.004), ('use_ema', True),
                                       ('global_clipnorm', 1.0), ('centered', True)])
def test_deserialize_rejects_unsupported_tf_keras_options(key, value):
    with pytest.raises(ValueError, match=key):
        optimizers.deserialize({'class_name': 'RMSprop',
                                'config': {'learning_rate': 0.1, key: value}})


def test_unknown_keyword_arguments_raise_type_error_naming_them():
    with pytest.raises(TypeError, match="'momentun'"):
        optimizers.SGD(lr=0.1, momentun=0.9)
    with pytest.raises(TypeError, match="'clip_norm'"):
        optimizers.Adam(clip_norm=1.)


@pytest.mark.parametrize('make,named', [
    (lambda: optimizers.SGD(lr=-0.1), 'lr'), (lambda: optimizers.SGD(momentum=-0.5), 'momentum'),
    (lambda: optimizers.SGD(decay=-1.), 'decay'), (lambda: optimizers.Adam(beta_1=1.0), 'beta_1'),
    (lambda: optimizers.Adam(beta_2=-0.1), 'beta_2'), (lambda: optimizers.RMSprop(rho=1.5), 'rho'),
    (lambda: optimizers.Adagrad(epsilon=-1e-7), 'epsilon'),
    (lambda: optimizers.SGD(clipnorm=-1.), 'clipnorm'),
    (lambda: optimizers.Nadam(schedule_decay=-1.), 'schedule_decay')])
def test_bad_arguments_raise_value_error_naming_them(make, named):
    with pytest.raises(ValueError, match=named):
        make()


def _adam_weight_shapes(opt):
    return [tuple(np.shape(w)) for w in opt.get_weights()]


def test_weights_order_follows_keras_2(backend):
    w, b = _variables(backend, np.zeros((3, 2), np.float32), np.zeros(2, np.float32))
    grads = [backend.xp.ones((3, 2), 'float32'), backend.xp.ones(2, 'float32')]
    adam = optimizers.Adam()
    assert _adam_weight_shapes(adam) == [()]
    adam.apply_gradients([w, b], grads)
    # iterations, m (per param), v (per param), vhat: (1,) placeholders without amsgrad
    assert _adam_weight_shapes(adam) == [(), (3, 2), (2,), (3, 2), (2,), (1,), (1,)]
    amsgrad = optimizers.Adam(amsgrad=True)
    amsgrad.apply_gradients([w, b], grads)
    assert _adam_weight_shapes(amsgrad) == [(), (3, 2), (2,), (3, 2), (2,), (3, 2), (2,)]
    nadam = optimizers.Nadam()
    nadam.apply_gradients([w, b], grads)
    assert _adam_weight_shapes(nadam) == [(), (), (3, 2), (2,), (3, 2), (2,)]
    adadelta = optimizers.Adadelta()
    adadelta.apply_gradients([w, b], grads)
    assert _adam_weight_shapes(adadelta) == [(), (3, 2), (2,), (3, 2), (2,)]
    sgd = optimizers.SGD()
    sgd.apply_gradients([w, b], grads)
    assert _adam_weight_shapes(sgd) == [(), (3, 2), (2,)]
    adagrad = optimizers.Adagrad()
    adagrad.build([w, b])
    np.testing.assert_array_equal(adagrad.get_weights()[1], np.full((3, 2), 0.1, np.float32))


@pytest.mark.parametrize('make', [lambda: optimizers.Adam(lr=0.05, amsgrad=True),
                                  lambda: optimizers.Nadam(lr=0.05),
                                  lambda: optimizers.Adadelta(),
                                  lambda: optimizers.SGD(lr=0.1, momentum=0.9)])
def test_state_saved_and_restored_reproduces_the_run(backend, rng, make):
    w0 = rng.normal(size=(4, 3)).astype(np.float32)
    grads = rng.normal(size=(5, 4, 3)).astype(np.float32)
    (w,) = _variables(backend, w0)
    original = make()
    for g in grads[:2]:
        original.apply_gradients([w], [backend.asarray(g)])
    state, w_mid = original.get_weights(), backend.to_numpy(w.data).copy()
    for g in grads[2:]:
        original.apply_gradients([w], [backend.asarray(g)])
    (w2,) = _variables(backend, w_mid)
    restored = make()
    restored.set_weights(state)  # before any step: applied when the slots are built
    for g in grads[2:]:
        restored.apply_gradients([w2], [backend.asarray(g)])
    np.testing.assert_array_equal(backend.to_numpy(w2.data), backend.to_numpy(w.data))
    assert int(restored.iterations.data) == 5


def test_get_weights_returns_copies(backend):
    (w,) = _variables(backend, np.zeros(3, np.float32))
    opt = optimizers.SGD(lr=0.1, momentum=0.9)
    opt.apply_gradients([w], [backend.xp.ones(3, 'float32')])
    saved = opt.get_weights()
    opt.apply_gradients([w], [backend.xp.ones(3, 'float32')])
    assert int(saved[0]) == 1
    np.testing.assert_allclose(saved[1], [-0.1] * 3, rtol=1e-6)


def test_set_weights_checks_length_and_shapes(backend):
    (w,) = _variables(backend, np.zeros((3, 2), np.float32))
    opt = optimizers.Adam(amsgrad=True)
    opt.build([w])
    with pytest.raises(ValueError, match='4'):
        opt.set_weights([np.array(0), np.zeros((3, 2))])
    with pytest.raises(ValueError, match='shape'):
        opt.set_weights([np.array(0), np.zeros((3, 2)), np.zeros((2, 3)), np.zeros((3, 2))])


def test_set_weights_accepts_tf_keras_state_without_placeholder_slots(backend):
    (w,) = _variables(backend, np.zeros((3, 2), np.float32))
    adam = optimizers.Adam()  # tf.keras writes [iterations, m, v], Keras 2.2 adds vhat (1,)
    adam.build([w])
    adam.set_weights([np.array(7), np.ones((3, 2)), np.full((3, 2), 2.)])
    assert int(adam.iterations.data) == 7
    np.testing.assert_array_equal(adam.get_weights()[2], np.full((3, 2), 2.))
    sgd = optimizers.SGD()  # tf.keras' SGD without momentum has no moments
    sgd.build([w])
    sgd.set_weights([np.array(3)])
    assert int(sgd.iterations.data) == 3


def test_constraints_are_applied_after_the_step(backend):
    w = ad.Variable(backend.asarray(np.array([0.5, -0.2, 0.1], np.float32)),
                    constraint=constraints.NonNeg())
    grad = backend.asarray(np.array([1., -1., 0.], np.float32))
    optimizers.SGD(lr=1.).apply_gradients([w], [grad])
    np.testing.assert_allclose(backend.to_numpy(w.data), [0., 0.8, 0.1], rtol=1e-6)


def test_gradient_mismatches_raise(backend):
    (w,) = _variables(backend, np.zeros((3, 2), np.float32))
    opt = optimizers.SGD()
    with pytest.raises(ValueError, match='shape'):
        opt.apply_gradients([w], [backend.xp.zeros((2, 3), 'float32')])
    with pytest.raises(ValueError, match='gradients'):
        opt.apply_gradients([w], [])


def test_params_added_later_get_fresh_slots_and_keep_old_state(backend):
    w, b = _variables(backend, np.zeros(2, np.float32), np.zeros(3, np.float32))
    opt = optimizers.SGD(lr=1., momentum=0.5)
    opt.apply_gradients([w], [backend.xp.ones(2, 'float32')])
    opt.apply_gradients([w, b], [backend.xp.ones(2, 'float32'), backend.xp.ones(3, 'float32')])
    # w: moment -1 then -1.5 -> -2.5 total; b: a first step -> -1
    np.testing.assert_allclose(backend.to_numpy(w.data), [-2.5, -2.5])
    np.testing.assert_allclose(backend.to_numpy(b.data), [-1., -1., -1.])
    assert [np.shape(x) for x in opt.get_weights()] == [(), (2,), (3,)]


def test_deserialize_reads_newer_keras_optimizer_configs(backend):
    adam = optimizers.deserialize({'class_name': 'Custom>Adam', 'config': {
        'learning_rate': 0.01, 'loss_scale_factor': None, 'gradient_accumulation_steps': None}})
    assert isinstance(adam, optimizers.Adam)
    np.testing.assert_allclose(adam.get_config()['lr'], 0.01, rtol=1e-6)
    with pytest.raises(ValueError, match='gradient_accumulation_steps'):
        optimizers.deserialize({'class_name': 'Adam', 'config': {
            'learning_rate': 0.01, 'gradient_accumulation_steps': 4}})


def test_deserialize_nadam_keeps_each_dialects_momentum_schedule(backend):
    new_style = optimizers.deserialize({'class_name': 'Nadam', 'config': {
        'is_legacy_optimizer': False, 'learning_rate': 0.001}})
    keras2 = optimizers.deserialize({'class_name': 'Nadam', 'config': {'lr': 0.001}})
    assert new_style.schedule_decay == 1.0  # tf.keras 2.11+: 0.96 ** t
    assert keras2.schedule_decay == 0.004
