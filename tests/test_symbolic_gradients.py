"""K.gradients on symbolic tensors, K.placeholder and the session functions: the Keras 2 pattern
of conv_filter_visualization, deep_dream and neural_style_transfer (a loss built from a model's
symbolic tensors, its gradient with respect to the input image, both fetched by K.function).
References: central finite differences of the K.function's own loss in float64, and gradients
known in closed form."""
import warnings

import numpy as np
import pytest

from gkeras import backend as K
from gkeras import optimizers
from gkeras.backend import autodiff as ad
from gkeras.layers import Conv2D, Dense, Input
from gkeras.models import Model
from gkeras.utils.layer_utils import get_source_inputs


@pytest.fixture
def float64():
    K.set_floatx('float64')
    yield
    K.set_floatx('float32')


def finite_differences(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[index] += eps
        minus[index] -= eps
        grad[index] = (f(plus) - f(minus)) / (2 * eps)
    return grad


def test_gradient_of_a_loss_with_respect_to_the_input_image(backend, rng, float64):
    """conv_filter_visualization: the mean of one filter's activation, its gradient with respect
    to the input, normalized by its RMS, all fetched at once."""
    image = Input(shape=(6, 5, 2))
    features = Conv2D(3, 3, activation='tanh', name='conv')(image)
    features = Conv2D(2, 2, padding='same')(features)
    loss = K.mean(features[:, :, :, 1])
    grads = K.gradients(loss, image)
    assert isinstance(grads, list) and len(grads) == 1 and K.int_shape(grads[0]) == (None, 6, 5, 2)
    normalized = grads[0] / (K.sqrt(K.mean(K.square(grads[0]))) + K.epsilon())
    iterate = K.function([image], [loss, grads[0], normalized])
    x = rng.standard_normal((2, 6, 5, 2))
    loss_value, grad_value, normalized_value = iterate([x])
    expected = finite_differences(lambda a: float(iterate([a])[0]), x)
    np.testing.assert_allclose(grad_value, expected, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(
        normalized_value, grad_value / (np.sqrt(np.mean(grad_value ** 2)) + K.epsilon()),
        rtol=1e-12)


def test_accumulated_loss_from_a_variable_and_layer_outputs(backend, rng, float64):
    """deep_dream: loss = K.variable(0.), then loss += coefficient * K.sum(K.square(a layer's
    output)) / its size (from K.shape); the gradient with respect to an intermediate layer
    output is 2 * coefficient * output / size, in closed form."""
    image = Input(shape=(7,))
    hidden = Dense(4, activation='tanh', name='hidden')(image)
    out = Dense(3, name='out')(hidden)
    loss = K.variable(0.)
    for coefficient, x in ((0.5, hidden), (2.0, out)):
        scaling = K.prod(K.cast(K.shape(x), 'float64'))
        loss += coefficient * K.sum(K.square(x)) / scaling
    assert K.is_keras_tensor(loss)
    grad_hidden, grad_image = K.gradients(loss, [hidden, image])
    fetch = K.function([image], [loss, hidden, out, grad_hidden, grad_image])
    x = rng.standard_normal((3, 7))
    loss_value, h, o, gh, gi = fetch([x])
    np.testing.assert_allclose(loss_value, 0.5 * np.sum(h ** 2) / h.size
                               + 2.0 * np.sum(o ** 2) / o.size, rtol=1e-12)
    # d/dh of the whole loss: its own term plus the path through `out`
    w_out = K.get_value(fetch._network.get_layer('out').kernel)
    np.testing.assert_allclose(gh, h / h.size + (4.0 * o / o.size) @ w_out.T, rtol=1e-10)
    np.testing.assert_allclose(gi, finite_differences(lambda a: float(fetch([a])[0]), x),
                               rtol=1e-6, atol=1e-9)


def test_gradient_with_respect_to_weights(backend, rng):
    image = Input(shape=(4,))
    layer = Dense(3, use_bias=False)
    loss = K.sum(layer(image))
    (grad,) = K.gradients(loss, layer.trainable_weights)
    x = rng.standard_normal((5, 4)).astype('float32')
    (value,) = K.function([image], [grad])([x])
    np.testing.assert_allclose(value, np.repeat(x.sum(axis=0)[:, None], 3, axis=1), rtol=1e-5)


def test_style_transfer_graph_placeholder_concatenated_with_variables(backend, rng, float64):
    """neural_style_transfer: two constant images (K.variable) and a placeholder concatenated
    along the batch, a model built on that tensor (input_tensor=), a loss comparing the rows of
    its features, and the gradient with respect to the placeholder, fed by K.function."""
    base = K.variable(rng.standard_normal((1, 5, 5, 2)))
    combination = K.placeholder((1, 5, 5, 2))
    assert K.is_placeholder(combination) and not K.is_placeholder(base)
    input_tensor = K.concatenate([base, combination], axis=0)
    features = Conv2D(3, 3, activation='relu')(input_tensor)
    model = Model(get_source_inputs(input_tensor), features)
    assert model.inputs == [combination]
    content = K.sum(K.square(model.output[1, :, :, :] - model.output[0, :, :, :]))
    variation = K.sum(K.pow(K.square(combination[:, :4, :4, :] - combination[:, 1:, :4, :]) + 1,
                            1.25))
    loss = K.variable(0.)
    loss += 0.025 * content
    loss += variation
    grads = K.gradients(loss, combination)
    f_outputs = K.function([combination], [loss] + grads)
    x = rng.standard_normal((1, 5, 5, 2)) * 2
    loss_value, grad_value = f_outputs([x])
    assert grad_value.shape == (1, 5, 5, 2)
    np.testing.assert_allclose(grad_value,
                               finite_differences(lambda a: float(f_outputs([a])[0]), x),
                               rtol=1e-6, atol=1e-6)  # a loss of ~100: differences round to 1e-8


def test_a_loss_that_does_not_depend_on_a_tensor_has_a_zero_gradient(backend, rng):
    a, b = Input(shape=(3,)), Input(shape=(2,))
    loss = K.sum(K.square(a))
    grad_a, grad_b = K.gradients(loss, [a, b])
    x, y = rng.standard_normal((2, 3)), rng.standard_normal((2, 2))
    ga, gb = K.function([a, b], [grad_a, grad_b])([x, y])
    np.testing.assert_allclose(ga, 2 * x, rtol=1e-6)
    np.testing.assert_array_equal(gb, np.zeros((2, 2)))


def test_tensor_operators_defer_to_symbolic_tensors(backend):
    image = Input(shape=(2,))
    v = K.variable(np.ones(2))
    for result in (v + image, image + v, v - image, v * image, v / (image + 3), v ** image):
        assert K.is_keras_tensor(result), result
    total = K.variable(0.)
    total += K.sum(image)
    total *= 2
    assert K.is_keras_tensor(total)
    (value,) = K.function([image], [total])([np.array([[1., 2.]])])
    assert float(value) == 6.0


def test_a_gradient_function_records_even_inside_no_grad(backend, rng):
    """A K.function with gradients called where the tape is off (a callback inside a predict
    loop, say) still computes them."""
    image = Input(shape=(3,))
    (grad,) = K.gradients(K.sum(K.square(image)), image)
    fetch = K.function([image], [grad])
    x = rng.standard_normal((2, 3))
    with ad.no_grad():
        (value,) = fetch([x])
    np.testing.assert_allclose(value, 2 * x, rtol=1e-6)


def test_symbolic_gradients_refuse_runs_without_gradients(backend, rng):
    image = Input(shape=(3,))
    loss = K.sum(K.square(Dense(2)(image)))
    (grad,) = K.gradients(loss, image)
    model = Model(image, grad)
    with pytest.raises(ValueError, match='computed by K.function'):
        model.predict(rng.standard_normal((2, 3)))


def test_bad_gradient_requests_raise(backend):
    image = Input(shape=(3,))
    with pytest.raises(ValueError, match='not a symbolic tensor'):
        K.gradients(K.variable(np.ones(3)), [image])
    with pytest.raises(ValueError, match='symbolic tensors and variables only'):
        K.gradients(K.sum(image), [np.ones(3)])


def test_placeholder_and_session_functions():
    p = K.placeholder(ndim=3, dtype='float64', name='images')
    assert K.int_shape(p) == (None, None, None) and p.dtype == 'float64'
    assert K.is_placeholder(p) and not K.is_placeholder(K.square(p))
    with pytest.raises(ValueError, match='sparse'):
        K.placeholder((2, 3), sparse=True)
    with pytest.raises(ValueError, match='shape'):
        K.placeholder()
    with pytest.raises(RuntimeError, match='no session'):
        K.get_session()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        K.set_session(object())
    assert any('K.set_session: ignored' in str(w.message) for w in caught)
    K.manual_variable_initialization(True)
    K.manual_variable_initialization(False)


# ---------------------------------------------------------------------------------------------
# updates in K.function: Keras 2's custom training loops

def clone_of(model):
    from gkeras.models import clone_model
    twin = clone_model(model)
    twin.set_weights(model.get_weights())
    return twin


@pytest.mark.parametrize('make', [lambda: optimizers.Adam(lr=0.01),
                                  lambda: optimizers.SGD(lr=0.1, momentum=0.9, nesterov=True,
                                                         clipnorm=0.5),
                                  lambda: optimizers.RMSprop(lr=0.01, decay=0.1)],
                         ids=['adam', 'sgd_nesterov_clipnorm', 'rmsprop_decay'])
def test_get_updates_in_k_function_trains_as_train_on_batch(backend, rng, make):
    """train = K.function([x, y], [loss], updates=opt.get_updates(loss, weights)) steps the
    weights exactly as compile(opt, 'mse') + train_on_batch does (a separate code path)."""
    inputs = Input(shape=(4,))
    model = Model(inputs, Dense(2)(Dense(5, activation='tanh')(inputs)))
    twin = clone_of(model)
    twin.compile(make(), 'mse')
    targets = K.placeholder((None, 2))
    loss = K.mean(K.square(model.output - targets))
    updates = make().get_updates(loss, model.trainable_weights)
    train = K.function([model.input, targets], [loss], updates=updates)
    for _ in range(3):
        x = rng.standard_normal((6, 4)).astype('float32')
        y = rng.standard_normal((6, 2)).astype('float32')
        (value,) = train([x, y])
        expected = twin.train_on_batch(x, y)
        np.testing.assert_allclose(value, expected, rtol=1e-5)
    for ours, theirs in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_symbolic_variable_updates_apply_after_each_call(backend, rng):
    image = Input(shape=(3,))
    total, last, average = K.variable(0.), K.variable(np.zeros(3)), K.variable(np.zeros(3))
    batch_sum = K.sum(image)
    fetch = K.function([image], [batch_sum, total + batch_sum * 0], updates=[
        K.update_add(total, batch_sum), (last, K.mean(image, axis=0)),
        K.moving_average_update(average, K.mean(image, axis=0), 0.9)])
    seen, running = 0.0, np.zeros(3)
    for _ in range(3):
        x = rng.standard_normal((4, 3)).astype('float32')
        value, before = fetch([x])
        np.testing.assert_allclose(before, seen, rtol=1e-5, atol=1e-6)  # the pre-update value
        seen += float(x.sum())
        running = running * 0.9 + x.mean(axis=0) * 0.1
        np.testing.assert_allclose(value, x.sum(), rtol=1e-5)
        np.testing.assert_allclose(K.get_value(total), seen, rtol=1e-5)
        np.testing.assert_allclose(K.get_value(last), x.mean(axis=0), rtol=1e-5)
        np.testing.assert_allclose(K.get_value(average), running, rtol=1e-5, atol=1e-7)


def test_get_gradients_clip_as_apply_gradients_does(backend, rng):
    image = Input(shape=(3,))
    layer = Dense(2, use_bias=False)
    loss = K.sum(K.square(layer(image)))
    opt = optimizers.SGD(clipnorm=0.5, clipvalue=0.2)
    (clipped,) = opt.get_gradients(loss, layer.trainable_weights)
    (raw_grad,) = K.gradients(loss, layer.trainable_weights)
    x = rng.standard_normal((4, 3)).astype('float32') * 3
    got, unclipped = K.function([image], [clipped, raw_grad])([x])
    expected = np.clip(unclipped * 0.5 / max(np.linalg.norm(unclipped), 0.5), -0.2, 0.2)
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_get_updates_needs_a_symbolic_loss(backend):
    w = K.variable(np.ones(2))
    with pytest.raises(ValueError, match='must be a symbolic tensor'):
        optimizers.Adam().get_updates(K.sum(w), [w])
