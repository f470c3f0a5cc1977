"""K.ctc_batch_cost and K.ctc_decode: tf_keras 2.21's numbers (tests/fixtures/ctc_reference.npz),
a brute-force sum over every alignment, finite-difference gradients, the errors, and training
a model whose Lambda layer outputs the CTC loss (as Keras' examples/image_ocr.py does)."""
import itertools
import math
import os

import numpy as np
import pytest

from gkeras import backend as K
from gkeras import layers, models, optimizers
from gkeras.backend import autodiff as ad
from tests.gradcheck import check_gradients

FIXTURE = os.path.join(os.path.dirname(__file__), 'fixtures', 'ctc_reference.npz')
with np.load(FIXTURE) as _file:
    REFERENCE = {key: _file[key] for key in _file.files}


def _cases(group):
    return sorted({key.split('/')[1] for key in REFERENCE if key.startswith(group + '/')})


def _host(x):
    return K.active().to_numpy(ad.raw(x))


def _log_softmax_of_log(y_pred):
    """log softmax(log(y_pred + epsilon)) over classes: what TF's CTC ops see, in float64."""
    logits = np.log(np.asarray(y_pred, np.float64) + K.epsilon())
    return logits - np.log(np.exp(logits).sum(-1, keepdims=True))


def _collapse(path, blank):
    """CTC's many-to-one map: merge repeats, then drop blanks."""
    merged = [k for i, k in enumerate(path) if i == 0 or k != path[i - 1]]
    return tuple(k for k in merged if k != blank)


def _sequence_probabilities(log_probs, steps):
    """{label sequence: probability} over every path of the first `steps` steps (plain loops)."""
    blank = log_probs.shape[-1] - 1
    totals = {}
    for path in itertools.product(range(log_probs.shape[-1]), repeat=steps):
        p = math.exp(sum(log_probs[t, k] for t, k in enumerate(path)))
        key = _collapse(path, blank)
        totals[key] = totals.get(key, 0.0) + p
    return totals


# ---------------------------------------------------------------------------------------------
# The loss

@pytest.mark.parametrize('case', _cases('loss'))
def test_loss_and_gradient_match_tf_keras(backend, case):
    ref = {name: REFERENCE[f'loss/{case}/{name}'] for name in
           ('y_pred', 'y_true', 'input_length', 'label_length', 'loss', 'weight', 'grad')}
    y_pred = K.variable(ref['y_pred'])
    loss = K.ctc_batch_cost(K.constant(ref['y_true'].astype(np.float32)), y_pred,
                            ref['input_length'], ref['label_length'])
    assert loss.shape == ref['loss'].shape and loss.dtype == np.float32
    np.testing.assert_allclose(_host(loss), ref['loss'], rtol=2e-5, atol=1e-5)
    grad, = ad.gradients(K.sum(loss * ref['weight']), [y_pred])
    np.testing.assert_allclose(_host(grad), ref['grad'], rtol=2e-4, atol=2e-5)


BRUTE_FORCE_CASES = [
    # labels (ragged), input lengths, time steps, classes
    ([[0, 1], [1, 1], [0], [1, 0, 1]], [4, 4, 2, 5], 5, 3),
    ([[1]], [1], 1, 3),
    ([[2, 0, 2]], [4], 4, 4),
]


@pytest.mark.parametrize('labels, input_length, time_steps, classes', BRUTE_FORCE_CASES)
def test_loss_is_minus_log_of_every_alignment_summed(backend, labels, input_length, time_steps,
                                                     classes):
    rng = np.random.default_rng(7)
    y_pred = rng.dirichlet(np.ones(classes), size=(len(labels), time_steps))
    y_true = np.full((len(labels), 4), -1)
    for b, label in enumerate(labels):
        y_true[b, :len(label)] = label
    loss = K.ctc_batch_cost(y_true, K.constant(y_pred, dtype="float64"),
                            np.array(input_length)[:, None],
                            np.array([[len(label)] for label in labels]))
    log_probs = _log_softmax_of_log(y_pred)
    expected = [-math.log(_sequence_probabilities(log_probs[b], steps).get(tuple(labels[b]), 0))
                for b, steps in enumerate(input_length)]
    np.testing.assert_allclose(_host(loss)[:, 0], expected, rtol=1e-10)


def test_repeats_without_room_for_their_blank_give_an_infinite_loss(backend):
    """[1, 1] fits 2 steps only by merging the repeat away: no alignment, loss inf (as TF), and
    TF's gradient for it, the softmax, taken through log(y_pred + epsilon)."""
    rng = np.random.default_rng(3)
    y_pred = rng.dirichlet(np.ones(3), size=(2, 3))
    weight = np.array([[1.5], [0.5]])
    y_var = K.variable(y_pred, dtype='float64')
    loss = K.ctc_batch_cost(np.array([[1, 1], [0, 1]]), y_var, np.array([[2], [3]]),
                            np.array([[2], [2]]))
    assert np.isinf(_host(loss)[0, 0]) and np.isfinite(_host(loss)[1, 0])
    grad = _host(ad.gradients(K.sum(loss * weight), [y_var])[0])
    expected = np.exp(_log_softmax_of_log(y_pred[0])) / (y_pred[0] + K.epsilon()) * weight[0]
    expected[2:] = 0
    np.testing.assert_allclose(grad[0], expected, rtol=1e-10)


def test_a_label_that_starts_with_the_blank_is_empty(backend):
    """Keras' image_ocr labels its blank images [blank]: the loss of emitting nothing, from
    every alignment summed as the brute force sums them. (TensorFlow's kernel writes past its
    one-state lattice there and returns another number, 5.322034 instead of 6.931472 for
    uniform probabilities over 4 classes and 5 steps.)"""
    rng = np.random.default_rng(5)
    y_pred = rng.dirichlet(np.ones(3), size=(3, 4))
    y_true = np.array([[2, 2], [0, 1], [2, -1]])
    input_length, label_length = np.array([[4], [4], [3]]), np.array([[2], [2], [1]])
    loss = K.ctc_batch_cost(y_true, K.constant(y_pred, dtype='float64'), input_length,
                            label_length)
    log_probs = _log_softmax_of_log(y_pred)
    expected = [-math.log(_sequence_probabilities(log_probs[b], steps).get(label, 0))
                for b, (steps, label) in enumerate(zip([4, 4, 3], [(), (0, 1), ()]))]
    np.testing.assert_allclose(_host(loss)[:, 0], expected, rtol=1e-10)
    check_gradients(lambda y: K.ctc_batch_cost(y_true, y, input_length, label_length), y_pred,
                    rtol=1e-5)
    uniform = np.full((1, 5, 4), 0.25, np.float32)
    np.testing.assert_allclose(_host(K.ctc_batch_cost(np.array([[3]]), uniform, np.array([[5]]),
                                                      np.array([[1]]))), [[-5 * math.log(0.25)]],
                               rtol=1e-5)


@pytest.mark.parametrize('noncontiguous', [False, True])
def test_loss_gradient_matches_finite_differences(backend, noncontiguous):
    rng = np.random.default_rng(11)
    y_pred = rng.uniform(0.05, 1.0, (3, 6, 4))
    y_true = np.array([[0, 0, 2], [1, -1, -1], [2, 1, 0]])
    input_length = np.array([[6], [3], [5]])
    label_length = np.array([[3], [1], [3]])
    check_gradients(lambda y: K.ctc_batch_cost(y_true, y, input_length, label_length), y_pred,
                    rtol=1e-5, noncontiguous=noncontiguous)


def test_labels_end_at_the_first_blank_and_lengths_are_truncated(backend):
    """TF reads a label >= the blank as the end of the sequence, takes at most the padded
    width for label_length, and truncates float labels and lengths toward zero."""
    rng = np.random.default_rng(5)
    y_pred = K.constant(rng.dirichlet(np.ones(4), size=(1, 5)).astype(np.float32))
    reference = K.ctc_batch_cost(np.array([[2, 0]]), y_pred, np.array([[5]]), np.array([[2]]))
    for labels, input_length, label_length in [([[2, 0, 3, 7]], [[5]], [[4]]),
                                               ([[2, 0, 1]], [[5]], [[2]]),
                                               ([[2, 0]], [[5]], [[9]]),
                                               ([[2.0, 0.0, 1.0]], [[5.9]], [[2.7]])]:
        loss = K.ctc_batch_cost(np.array(labels), y_pred, np.array(input_length),
                                np.array(label_length))
        np.testing.assert_array_equal(_host(loss), _host(reference))


@pytest.mark.parametrize('y_true, y_pred_shape, input_length, label_length, message', [
    ([[0, 1]], (1, 4), [[4]], [[2]], 'expected y_pred of shape'),
    ([0, 1], (1, 4, 3), [[4]], [[2]], r'expected y_true of shape \(1, max_string_length\)'),
    ([[0, 1]], (1, 4, 3), [4], [[2]], r'expected input_length of shape \(1, 1\)'),
    ([[0, 1]], (1, 4, 3), [[4]], [2], r'expected label_length of shape \(1, 1\)'),
    ([[0, 1]], (1, 4, 3), [[4]], [[0]], 'label_length must be >= 1'),
    ([[0, 1]], (1, 4, 3), [[5]], [[2]], 'input_length must be between 0 and the 4'),
    ([[0, 1]], (1, 4, 3), [[-1]], [[2]], 'input_length must be between'),
    ([[0, 1, 0]], (1, 4, 3), [[2]], [[3]], 'label of length 3 needs at least'),
    ([[0, 2, 1]], (1, 4, 3), [[4]], [[3]], 'after the blank class 2'),
    ([[0, -1]], (1, 4, 3), [[4]], [[2]], 'class indices >= 0'),
])
def test_loss_errors(backend, y_true, y_pred_shape, input_length, label_length, message):
    with pytest.raises(ValueError, match='ctc_batch_cost: .*' + message):
        K.ctc_batch_cost(np.array(y_true), np.full(y_pred_shape, 0.25, np.float32),
                         np.array(input_length), np.array(label_length))


# ---------------------------------------------------------------------------------------------
# Decoding

def _decode_modes(case):
    prefix = f'decode/{case}/'
    return sorted(key[len(prefix):-len('_decoded')] for key in REFERENCE
                  if key.startswith(prefix) and key.endswith('_decoded'))


@pytest.mark.parametrize('case', _cases('decode'))
def test_decode_matches_tf_keras(backend, case):
    y_pred = K.constant(REFERENCE[f'decode/{case}/y_pred'])
    input_length = REFERENCE[f'decode/{case}/input_length']
    for mode in _decode_modes(case):
        if mode == 'greedy':
            kwargs = dict(greedy=True)
        else:
            width, top = mode[len('beam_w'):].split('_top')
            kwargs = dict(greedy=False, beam_width=int(width), top_paths=int(top))
        decoded, log_prob = K.ctc_decode(y_pred, input_length, **kwargs)
        expected = REFERENCE[f'decode/{case}/{mode}_decoded']
        assert isinstance(decoded, list) and len(decoded) == len(expected), mode
        for got, want in zip(decoded, expected):
            assert got.dtype == np.int64, mode
            np.testing.assert_array_equal(_host(got), want, err_msg=mode)
        np.testing.assert_allclose(_host(log_prob), REFERENCE[f'decode/{case}/{mode}_log_prob'],
                                   rtol=1e-5, atol=1e-5, err_msg=mode)


def test_greedy_decode_against_a_loop(backend):
    """Best class per step, repeats merged unless a blank separates them, blanks dropped; the
    score is minus the sum of the best log(y_pred + epsilon)."""
    blank = 3
    best = np.array([[0, 0, 3, 0, 1, 1, 3, 3], [2, 3, 2, 2, 1, 0, 0, 0], [3, 3, 3, 1, 3, 3, 3, 3]])
    lengths = np.array([8, 5, 3])
    y_pred = np.full(best.shape + (4,), 0.1, np.float32)
    np.put_along_axis(y_pred, best[..., None], 0.7, axis=2)
    (decoded,), score = K.ctc_decode(K.constant(y_pred)[:, :, :], lengths)
    for b in range(3):
        sequence = _collapse(best[b, :lengths[b]].tolist(), blank)
        want = list(sequence) + [-1] * (8 - len(sequence))
        np.testing.assert_array_equal(_host(decoded)[b], want)
    np.testing.assert_allclose(_host(score)[:, 0], -lengths * np.log(np.float32(0.7) + 1e-7),
                               rtol=1e-6)


def test_beam_search_without_pruning_finds_the_most_probable_label_sequences(backend):
    """With a beam wide enough to keep every prefix, the beam search's log probabilities are
    the exact ones of the brute-force sum; tf.compat.v1's decoder then merges repeated labels
    in the sequences it returns (merge_repeated=True)."""
    rng = np.random.default_rng(2)
    y_pred = rng.dirichlet(np.ones(3) * 0.5, size=(2, 4)).astype(np.float32)
    lengths = np.array([4, 3])
    decoded, log_prob = K.ctc_decode(K.constant(y_pred), lengths, greedy=False, beam_width=50,
                                     top_paths=3)
    log_probs = _log_softmax_of_log(y_pred)
    for b in range(2):
        totals = _sequence_probabilities(log_probs[b], lengths[b])
        best = sorted(totals, key=totals.get, reverse=True)[:3]
        for i, sequence in enumerate(best):
            merged = [k for j, k in enumerate(sequence) if j == 0 or k != sequence[j - 1]]
            want = merged + [-1] * (4 - len(merged))
            np.testing.assert_array_equal(_host(decoded[i])[b], want)
            np.testing.assert_allclose(_host(log_prob)[b, i], math.log(totals[sequence]),
                                       rtol=1e-5)


@pytest.mark.parametrize('input_length, kwargs, message', [
    ([[4], [4]], {}, r'expected input_length of shape \(2,\)'),
    ([5, 4], {}, 'input_length must be at most the 4'),
    ([4, 4], dict(greedy=False, beam_width=0), 'beam_width must be an integer >= 1'),
    ([4, 4], dict(greedy=False, top_paths=0), 'top_paths must be an integer >= 1'),
    ([4, 4], dict(greedy=False, beam_width=2, top_paths=3), 'top_paths must be at most'),
    ([4, 0], dict(greedy=False, top_paths=2), 'sample 1 found 1 label sequences'),
])
def test_decode_errors(backend, input_length, kwargs, message):
    with pytest.raises(ValueError, match='ctc_decode: .*' + message):
        K.ctc_decode(np.full((2, 4, 3), 1 / 3, np.float32), np.array(input_length), **kwargs)


def test_decode_errors_on_rank(backend):
    with pytest.raises(ValueError, match=r'ctc_decode: expected y_pred .* received shape \(2, 4\)'):
        K.ctc_decode(np.full((2, 4), 0.5, np.float32), np.array([4, 4]))


# ---------------------------------------------------------------------------------------------
# Training through a Lambda layer, as examples/image_ocr.py does

def test_model_with_a_ctc_loss_layer_trains(backend):
    rng = np.random.default_rng(0)
    batch, time_steps, features, classes, max_label = 4, 6, 5, 4, 3
    x = rng.normal(size=(batch, time_steps, features)).astype(np.float32)
    y_true = np.array([[0, 1, 2], [2, 2, -1], [1, -1, -1], [0, 0, 1]], np.float32)
    input_length = np.full((batch, 1), time_steps)
    label_length = np.array([[3], [2], [1], [3]])

    frames = layers.Input(shape=(time_steps, features))
    labels = layers.Input(shape=(max_label,))
    input_lengths = layers.Input(shape=(1,), dtype='int64')
    label_lengths = layers.Input(shape=(1,), dtype='int64')
    y_pred = layers.Dense(classes, activation='softmax')(layers.Dense(8, activation='tanh')(
        frames))
    loss_out = layers.Lambda(lambda args: K.ctc_batch_cost(args[1], args[0], args[2], args[3]),
                             output_shape=(1,), name='ctc')(
        [y_pred, labels, input_lengths, label_lengths])
    model = models.Model(inputs=[frames, labels, input_lengths, label_lengths], outputs=loss_out)
    model.compile(loss={'ctc': lambda y_true, y_pred: y_pred},
                  optimizer=optimizers.Adam(learning_rate=0.05))
    inputs = [x, y_true, input_length, label_length]
    losses = [model.train_on_batch(inputs, np.zeros(batch)) for _ in range(8)]
    assert losses[-1] < 0.6 * losses[0], losses


def test_ctc_batch_cost_on_symbolic_tensors(backend, rng):
    """On a model's tensors it records a graph node ((batch, 1), its shape found with positive
    probe lengths) that computes what the eager call computes; ctc_decode asks for a Lambda."""
    from gkeras.layers import Input
    labels, probabilities = Input((3,)), Input((5, 4))
    input_length, label_length = Input((1,)), Input((1,))
    cost = K.ctc_batch_cost(labels, probabilities, input_length, label_length)
    assert cost.shape == (None, 1)
    data = [np.array([[0, 1, 2], [1, 1, 0]], 'float32'),
            rng.dirichlet(np.ones(4), size=(2, 5)).astype('float32'),
            np.array([[5], [5]], 'float32'), np.array([[3], [2]], 'float32')]
    (got,) = K.function([labels, probabilities, input_length, label_length], [cost])(data)
    expected = K.eval(K.ctc_batch_cost(*[K.constant(d) for d in data]))
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    with pytest.raises(ValueError, match='Lambda layer'):
        K.ctc_decode(probabilities, K.variable(np.array([5.])))
