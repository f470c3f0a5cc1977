"""fit/evaluate/predict_generator with Python generators and Sequences (threads, queue, epochs),
the same through fit/evaluate/predict, and the errors a bad generator gets."""
import threading
import time
import warnings

import numpy as np
import pytest

from gkeras import callbacks, optimizers
from gkeras.layers import Dense
from gkeras.models import Sequential
from gkeras.utils import Sequence
from gkeras.utils.data_utils import GeneratorEnqueuer, OrderedEnqueuer


def problem(rng, n=20):
    x = rng.standard_normal((n, 3)).astype('float32')
    y = rng.standard_normal((n, 1)).astype('float32')
    return x, y


def model_with(weights=None, lr=0.05):
    model = Sequential([Dense(2, activation='tanh', input_shape=(3,)), Dense(1)])
    if weights is not None:
        model.set_weights(weights)
    model.compile(optimizers.SGD(lr=lr, momentum=0.5), 'mse', metrics=['mae'])
    return model


class Batches(Sequence):
    """x, y in batches; records every fetch with the pass it belongs to (thread-safe)."""

    def __init__(self, x, y, batch_size, delay=0.):
        self.x, self.y, self.batch_size, self.delay = x, y, batch_size, delay
        self.passes = 0
        self.fetched = []
        self.lock = threading.Lock()

    def __len__(self):
        return int(np.ceil(len(self.x) / self.batch_size))

    def __getitem__(self, index):
        if self.delay:
            time.sleep(self.delay * (index % 3))
        with self.lock:
            self.fetched.append((self.passes, index))
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.x[part], self.y[part]

    def on_epoch_end(self):
        with self.lock:
            self.passes += 1


def looping(x, y, batch_size, sample_weight=None):
    while True:
        for start in range(0, len(x), batch_size):
            part = slice(start, start + batch_size)
            if sample_weight is None:
                yield x[part], y[part]
            else:
                yield x[part], y[part], sample_weight[part]


@pytest.mark.parametrize('workers', [0, 1, 3])
def test_fit_generator_equals_fit_on_the_same_batches(backend, rng, workers):
    x, y = problem(rng)
    start = model_with().get_weights()
    reference = model_with(start)
    expected = reference.fit(x, y, batch_size=6, epochs=2, shuffle=False, verbose=0)
    model = model_with(start)
    history = model.fit_generator(looping(x, y, 6), steps_per_epoch=4, epochs=2, verbose=0,
                                  workers=workers)
    for name in ('loss', 'mae'):
        np.testing.assert_allclose(history.history[name], expected.history[name], rtol=1e-5)
    for got, want in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize('workers, use_multiprocessing', [(0, False), (1, False), (4, False),
                                                          (3, True)])
def test_sequence_batches_once_per_epoch_and_on_epoch_end(backend, rng, workers,
                                                          use_multiprocessing):
    x, y = problem(rng, n=23)
    sequence = Batches(x, y, batch_size=4, delay=0.002)
    model = model_with()
    trained = []
    history = model.fit_generator(
        sequence, epochs=3, verbose=0, workers=workers, max_queue_size=2, shuffle=True,
        use_multiprocessing=use_multiprocessing,
        callbacks=[callbacks.LambdaCallback(on_batch_end=lambda batch, logs: trained.append(
            logs['size']))])
    assert history.epoch == [0, 1, 2]
    assert sequence.passes == 3
    for epoch in range(3):
        indices = [i for p, i in sequence.fetched if p == epoch]
        assert sorted(indices) == list(range(6)), (epoch, indices)
    assert not [p for p, _ in sequence.fetched if p > 3]
    assert sorted(trained) == [3] * 3 + [4] * 15


def test_sequence_order_without_shuffle_and_reshuffle_in_on_epoch_end(backend, rng):
    x, y = problem(rng, n=12)

    class Reshuffled(Batches):
        def __init__(self, *args):
            super().__init__(*args)
            self.order = np.arange(12)

        def __getitem__(self, index):
            rows = self.order[index * 4:(index + 1) * 4]
            with self.lock:
                self.fetched.append((self.passes, index, tuple(rows)))
            return self.x[rows], self.y[rows]

        def on_epoch_end(self):
            super().on_epoch_end()
            self.order = np.random.default_rng(self.passes).permutation(12)

    sequence = Reshuffled(x, y, 4)
    model_with(lr=0.).fit_generator(sequence, epochs=2, verbose=0, workers=2, shuffle=False)
    # as in Keras, the enqueuer may start fetching a third pass before fit stops it
    trained = [(p, i, r) for p, i, r in sequence.fetched if p < 2]
    rows = {(p, i): r for p, i, r in trained}
    assert len(rows) == len(trained)  # each batch once per pass
    assert sorted(rows) == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    np.testing.assert_array_equal(sum((rows[0, i] for i in range(3)), ()), np.arange(12))
    np.testing.assert_array_equal(sum((rows[1, i] for i in range(3)), ()),
                                  np.random.default_rng(1).permutation(12))


def test_enqueuer_keeps_at_most_the_queue_ahead(rng):
    x, y = problem(rng, n=40)
    sequence = Batches(x, y, batch_size=2)
    enqueuer = OrderedEnqueuer(sequence)
    enqueuer.start(workers=2, max_queue_size=3)
    stream = enqueuer.get()
    try:
        next(stream)
        time.sleep(0.2)
        assert len(sequence.fetched) <= 1 + 3 + 1
    finally:
        enqueuer.stop()
    assert not enqueuer.is_running()


def test_generator_enqueuer_finite_generator_and_errors():
    enqueuer = GeneratorEnqueuer(iter(range(5)))
    enqueuer.start(workers=3, max_queue_size=2)
    assert list(enqueuer.get()) == [0, 1, 2, 3, 4]
    enqueuer.stop()

    def broken():
        yield 1
        raise KeyError('inside the generator')
    enqueuer = GeneratorEnqueuer(broken())
    enqueuer.start()
    stream = enqueuer.get()
    assert next(stream) == 1
    with pytest.raises(KeyError, match='inside the generator'):
        next(stream)
    enqueuer.stop()


def test_validation_from_generator_sequence_or_arrays(backend, rng):
    x, y = problem(rng, n=12)
    start = model_with().get_weights()
    results = []
    for validation_data, steps in [((x, y), None), (looping(x, y, 5), 3), (Batches(x, y, 5), None)]:
        model = model_with(start, lr=0.)
        history = model.fit_generator(looping(x, y, 4), steps_per_epoch=3, epochs=2, verbose=0,
                                      validation_data=validation_data,
                                      validation_steps=steps)
        results.append(history.history['val_loss'])
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)
    np.testing.assert_allclose(results[0], results[2], rtol=1e-6)
    np.testing.assert_allclose(results[0][0], model.evaluate(x, y, verbose=0)[0], rtol=1e-6)
    with pytest.raises(ValueError, match='`validation_steps=None` is only valid'):
        model.fit_generator(looping(x, y, 4), steps_per_epoch=3, verbose=0,
                            validation_data=looping(x, y, 4))


def test_fit_with_array_data_and_generator_validation(backend, rng):
    x, y = problem(rng, n=12)
    model = model_with(lr=0.)
    history = model.fit(x, y, epochs=1, verbose=0, validation_data=Batches(x, y, 5),
                        workers=2)
    np.testing.assert_allclose(history.history['val_loss'][0], model.evaluate(x, y, verbose=0)[0],
                               rtol=1e-6)


def test_evaluate_and_predict_generators(backend, rng):
    x, y = problem(rng, n=17)
    model = model_with()
    expected_loss = model.evaluate(x, y, verbose=0)
    expected = model.predict(x)
    for workers in (0, 2):
        np.testing.assert_allclose(model.evaluate_generator(Batches(x, y, 5), workers=workers),
                                   expected_loss, rtol=1e-5)
        np.testing.assert_allclose(
            model.evaluate_generator(looping(x, y, 5), steps=4, workers=workers),
            expected_loss, rtol=1e-5)
        np.testing.assert_allclose(model.predict_generator(Batches(x, y, 5), workers=workers),
                                   expected, rtol=1e-5, atol=1e-6)
        xs_only = (x[i:i + 6] for i in range(0, 17, 6))
        np.testing.assert_allclose(model.predict_generator(xs_only, steps=3, workers=workers),
                                   expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.evaluate(Batches(x, y, 5), verbose=0), expected_loss,
                               rtol=1e-5)
    np.testing.assert_allclose(model.predict(Batches(x, y, 4)), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match='`steps=None` is only valid'):
        model.predict_generator(looping(x, y, 5))


def test_fit_accepts_a_sequence_or_generator_as_x(backend, rng):
    x, y = problem(rng, n=12)
    model = model_with()
    history = model.fit(Batches(x, y, 4), epochs=2, verbose=0)
    assert history.epoch == [0, 1]
    history = model.fit(looping(x, y, 4), steps_per_epoch=2, epochs=1, verbose=0,
                        class_weight=None)
    assert len(history.history['loss']) == 1
    with pytest.raises(ValueError, match='`y` argument is not supported'):
        model.fit(Batches(x, y, 4), y)
    with pytest.raises(ValueError, match='validation_split'):
        model.fit(Batches(x, y, 4), validation_split=0.2)


def test_sample_weights_and_class_weight_from_generators(backend, rng):
    x, _ = problem(rng, n=12)
    labels = np.arange(12) % 3
    sw = rng.uniform(0.5, 2., 12).astype('float32')
    class_weight = {0: 2., 1: 1., 2: 0.5}
    model = Sequential([Dense(3, activation='softmax', input_shape=(3,))])
    model.compile(optimizers.SGD(lr=0.), 'sparse_categorical_crossentropy')
    history = model.fit_generator(looping(x, labels, 12, sw), steps_per_epoch=1, verbose=0,
                                  class_weight=class_weight)
    p = model.predict(x)
    expected = np.mean(-np.log(p[np.arange(12), labels]) * sw *
                       np.array([class_weight[c] for c in labels]))
    np.testing.assert_allclose(history.history['loss'][0], expected, rtol=1e-5)


def test_deferred_sequential_builds_from_the_first_batch(backend, rng):
    x, y = problem(rng, n=8)
    model = Sequential([Dense(4), Dense(1)])
    model.compile('sgd', 'mse', metrics=['mae'])
    history = model.fit_generator(looping(x, y, 4), steps_per_epoch=2, epochs=1, verbose=0)
    assert sorted(history.history) == ['loss', 'mae'] and model.input_shape == (None, 3)
    fresh = Sequential([Dense(2)])
    assert fresh.predict_generator(looping(x, y, 4), steps=2).shape == (8, 2)


class BatchedLooping:
    """A generator object with a batch_size attribute, as Keras 1's samples_per_epoch reads."""

    def __init__(self, x, y, batch_size):
        self.batch_size = batch_size
        self._batches = looping(x, y, batch_size)

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._batches)


def test_legacy_keras1_argument_names(backend, rng):
    # the warnings and errors are Keras 2.2.5's (run to check), from gkeras.legacy
    x, y = problem(rng, n=8)
    model = model_with()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        history = model.fit_generator(looping(x, y, 4), 2, nb_epoch=3, nb_worker=2,
                                      max_q_size=4, pickle_safe=False, verbose=0)
    assert history.epoch == [0, 1, 2]
    messages = [str(w.message) for w in caught]
    assert messages[0].startswith('The semantics of the Keras 2 argument `steps_per_epoch`')
    assert messages[1] == ('Update your `fit_generator` call to the Keras 2 API: '
                           '`fit_generator(<generator..., 2, verbose=0, epochs=3, workers=2, '
                           'use_multiprocessing=False, max_queue_size=4)`')
    with pytest.warns(UserWarning, match=r'fit_generator\(<test_gene\.\.\., verbose=0, '
                                         r'steps_per_epoch=2\)'):
        history = model.fit_generator(BatchedLooping(x, y, 4), samples_per_epoch=8, verbose=0)
    assert history.epoch == [0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        model.evaluate_generator(looping(x, y, 4), val_samples=2)
    assert [str(w.message)[:30] for w in caught] == [
        'The semantics of the Keras 2 a', 'Update your `evaluate_generato']
    with pytest.raises(TypeError, match='received both the legacy keyword argument `nb_epoch` '
                                        'and the Keras 2 keyword argument `epochs`'), \
            pytest.warns(UserWarning, match='The semantics of the Keras 2 argument'):
        model.fit_generator(looping(x, y, 4), 2, nb_epoch=2, epochs=2)
    with pytest.raises(TypeError, match="unexpected keyword argument 'epochs'"), \
            warnings.catch_warnings(record=True):
        warnings.simplefilter('always')
        model.evaluate_generator(looping(x, y, 4), steps=2, nb_epoch=2)


# ---------------------------------------------------------------------------------------------
# bad generators

def shapes_then_wrong(x, y, bad_at):
    step = 0
    while True:
        for start in range(0, len(x), 4):
            if step == bad_at:
                yield x[start:start + 4, :2], y[start:start + 4]
            else:
                yield x[start:start + 4], y[start:start + 4]
            step += 1


@pytest.mark.parametrize('workers', [0, 2])
def test_wrong_shape_mid_training_is_a_clear_error_and_no_epoch_is_half_recorded(
        backend, rng, workers):
    x, y = problem(rng, n=12)
    model = model_with()
    before = threading.active_count()
    with pytest.raises(ValueError, match=r'generator at step 1 of epoch 2: Error when checking '
                                         r'input: expected dense_\d+_input to have shape \(3,\) '
                                         r'but got array with shape \(2,\)'):
        model.fit_generator(shapes_then_wrong(x, y, bad_at=4), steps_per_epoch=3, epochs=3,
                            verbose=0, workers=workers)
    assert model.history.epoch == [0]
    assert len(model.history.history['loss']) == 1
    assert threading.active_count() == before


@pytest.mark.parametrize('item, message', [
    (lambda x, y: x, r'Output of generator should be a tuple `\(x, y, sample_weight\)` or '
                     r'`\(x, y\)`'),
    (lambda x, y: (x, y, None, None), 'Output of generator should be a tuple'),
    (lambda x, y: (x, y[:3]), 'Found 4 input samples and 3 target samples'),
    (lambda x, y: (x[:0], y[:0]), 'Received an empty batch'),
])
def test_bad_generator_items(backend, rng, item, message):
    x, y = problem(rng, n=4)

    def generator():
        while True:
            yield item(x, y)
    with pytest.raises(ValueError, match=message):
        model_with().fit_generator(generator(), steps_per_epoch=2, verbose=0)


def test_generator_running_out_and_missing_steps(backend, rng):
    x, y = problem(rng, n=8)
    model = model_with()
    finite = ((x[i:i + 4], y[i:i + 4]) for i in (0, 4, 0))
    with pytest.raises(ValueError, match=r'ran out of data at step 1 of epoch 2, but 2 steps per '
                                         r'epoch were asked for'):
        model.fit_generator(finite, steps_per_epoch=2, epochs=2, verbose=0)
    assert model.history.epoch == [0]
    with pytest.raises(ValueError, match='`steps_per_epoch=None` is only valid'):
        model.fit_generator(looping(x, y, 4), verbose=0)


def test_errors_inside_a_sequence_reach_the_caller(backend, rng):
    x, y = problem(rng, n=8)

    class Failing(Batches):
        def __getitem__(self, index):
            if index == 1:
                raise IndexError('batch 1 is corrupt')
            return super().__getitem__(index)
    for workers in (0, 3):
        with pytest.raises(IndexError, match='batch 1 is corrupt'):
            model_with().fit_generator(Failing(x, y, 4), verbose=0, workers=workers)


class TypedSequence(Sequence):
    """A Sequence with a `dtype` attribute, as ImageDataGenerator's iterators have."""
    dtype = 'float32'

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return 2

    def __getitem__(self, index):
        return self.x[index * 4:(index + 1) * 4], self.y[index * 4:(index + 1) * 4]


def test_fit_takes_a_sequence_that_has_a_dtype(backend, rng):
    # model.fit(datagen.flow(x, y)) iterated the (endless) iterator as if it were arrays
    x, y = problem(rng, n=8)
    model = model_with()
    history = model.fit(TypedSequence(x, y), epochs=2, verbose=0)
    assert len(history.history['loss']) == 2
    assert np.all(np.isfinite(model.evaluate(TypedSequence(x, y), verbose=0)))


class SetUpOnTrainBegin(callbacks.Callback):
    """A callback whose batches are ready once on_train_begin ran (Keras' image_ocr example:
    its TextImageGenerator builds its data there and yields batches from next_train())."""

    def __init__(self, x, y):
        super().__init__()
        self.x, self.y, self.ready = x, y, False

    def on_train_begin(self, logs=None):
        self.ready = True

    def next_train(self):
        while True:
            if not self.ready:
                raise AttributeError('fetched before on_train_begin')
            for start in range(0, len(self.x), 4):
                yield self.x[start:start + 4], self.y[start:start + 4]


@pytest.mark.parametrize('workers', [0, 1, 2])
def test_nothing_is_fetched_before_on_train_begin(backend, rng, workers):
    # Keras 2.2's fit_generator calls on_train_begin before its enqueuer starts
    x, y = problem(rng, n=8)
    source = SetUpOnTrainBegin(x, y)
    history = model_with().fit_generator(source.next_train(), steps_per_epoch=2, epochs=2,
                                         workers=workers, verbose=0, callbacks=[source])
    assert len(history.history['loss']) == 2


def test_an_enqueuer_never_started_stops_cleanly():
    from gkeras.utils.data_utils import batch_stream
    for data in (Batches(np.zeros((8, 3)), np.zeros((8, 1)), 4), iter([])):
        stream, enqueuer = batch_stream(data, workers=2)
        enqueuer.stop()
