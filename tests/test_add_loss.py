"""add_loss (in a layer's call and on a model's symbolic tensors), backend functions and operators
on symbolic tensors, training without a compiled loss: against NumPy and tf_keras 2.21 (the
Keras 2.2.5 VAE examples, tests/fixtures/add_loss_reference.npz)."""
import os

import numpy as np
import pytest

from gkeras import backend as K
from gkeras import losses
from gkeras.layers import Dense, Flatten, Input, Lambda, Layer, Reshape
from gkeras.models import Model, Sequential, load_model
from gkeras.optimizers import SGD

import spatial_reference as ref

FIXTURES = np.load(os.path.join(os.path.dirname(__file__), 'fixtures',
                                'add_loss_reference.npz'))


class SquareLoss(Layer):
    """Adds scale * mean(inputs ** 2) in call() (nothing if scale is None) and passes its
    inputs through."""

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs):
        if self.scale is not None:
            self.add_loss(self.scale * K.mean(K.square(inputs)))
        return inputs


def dense_weights(rng):
    return [rng.normal(size=(3, 2)).astype('float32'), rng.normal(size=(2,)).astype('float32')]


def expected_step(x, y, kernel, bias, scale, lr):
    """NumPy: the loss mse + scale * mean(out ** 2) of out = x @ kernel + bias, and the kernel
    and bias after one SGD step on it."""
    out = x @ kernel + bias
    loss = np.mean((out - y) ** 2) + scale * np.mean(out ** 2)
    grad_out = (2 * (out - y) + 2 * scale * out) / out.size
    return loss, kernel - lr * x.T @ grad_out, bias - lr * grad_out.sum(0)


@pytest.mark.parametrize('kind', ['functional', 'sequential'])
def test_layer_add_loss_in_call_joins_the_training_loss(backend, rng, kind):
    x = rng.normal(size=(5, 3)).astype('float32')
    y = rng.normal(size=(5, 2)).astype('float32')
    kernel, bias = dense_weights(rng)
    penalty = SquareLoss(0.3)
    if kind == 'functional':
        inputs = Input((3,))
        model = Model(inputs, penalty(Dense(2, weights=[kernel, bias])(inputs)))
    else:
        model = Sequential([Dense(2, input_shape=(3,), weights=[kernel, bias]), penalty])
    model.compile(SGD(learning_rate=0.1), loss='mse')
    assert penalty.losses == []
    loss, kernel_after, bias_after = expected_step(x, y, kernel, bias, 0.3, 0.1)
    np.testing.assert_allclose(model.train_on_batch(x, y), loss, rtol=1e-5)
    np.testing.assert_allclose(model.get_weights()[0], kernel_after, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.get_weights()[1], bias_after, rtol=1e-5, atol=1e-6)
    # each call starts a new list: one loss, the latest call's
    model.train_on_batch(x, y)
    predicted = model.predict(x[:2])
    (latest,) = penalty.losses
    np.testing.assert_allclose(float(latest), 0.3 * np.mean(predicted ** 2), rtol=1e-5)
    assert len(model.losses) == 1
    np.testing.assert_allclose(model.evaluate(x, y, batch_size=5, verbose=0),
                               expected_step(x, y, *model.get_weights(), 0.3, 0.1)[0], rtol=1e-5)


def test_layer_add_loss_errors(backend):
    with pytest.raises(ValueError, match='inside call'):
        SquareLoss(1.).add_loss(K.constant(1.))
    inputs = Input((3,))
    with pytest.raises(ValueError, match='for models'):
        SquareLoss(1.).add_loss(K.mean(inputs))


def test_symbolic_shapes_of_backend_functions_operators_and_losses(backend):
    a, b = Input((3,)), Input((3,))
    image = Input((4, 4, 1))
    cases = [
        (a + 1, (None, 3)), (1 - a, (None, 3)), (a * b, (None, 3)), (a / 2., (None, 3)),
        (2. / a, (None, 3)), (-a, (None, 3)), (a ** 2, (None, 3)), (a[:, 0], (None,)),
        (abs(a), (None, 3)), (a @ np.ones((3, 5), 'float32'), (None, 5)),
        (K.square(a), (None, 3)), (K.exp(a), (None, 3)), (K.sum(a, axis=-1), (None,)),
        (K.mean(a), ()), (K.flatten(image), (None,)), (K.batch_flatten(image), (None, 16)),
        (K.concatenate([a, b, a]), (None, 9)), (K.shape(image), (4,)),
        (losses.mse(a, b), (None,)), (losses.binary_crossentropy(a, b), (None,)),
        (losses.binary_crossentropy(K.flatten(image), K.flatten(image)), ()),
    ]
    for tensor, shape in cases:
        assert tensor.shape == shape, tensor
    assert K.equal(a, b).dtype == 'bool'


def test_backend_functions_on_symbolic_tensors_run_in_the_model(backend, rng):
    inputs = Input((3,))
    hidden = Dense(4)(inputs)
    outputs = Dense(2)(K.square(hidden) * 0.5 - hidden)
    model = Model(inputs, K.sum(outputs, axis=-1, keepdims=True))
    assert [type(layer).__name__ for layer in model.layers] == ['InputLayer', 'Dense', 'Dense']
    x = rng.normal(size=(3, 3)).astype('float32')
    w1, b1, w2, b2 = model.get_weights()
    h = x @ w1 + b1
    expected = ((h ** 2 * 0.5 - h) @ w2 + b2).sum(-1, keepdims=True)
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match='Lambda layers'):
        model.get_config()
    mean_of = K.function([inputs], [K.mean(hidden)])
    np.testing.assert_allclose(mean_of([x])[0], h.mean(), rtol=1e-5)


def test_symbolic_add_loss_trains_without_a_compiled_loss(backend, rng):
    inputs = Input((3,))
    outputs = Dense(2)(inputs)
    model = Model(inputs, outputs)
    model.add_loss(K.mean(losses.mse(inputs[:, :2], outputs)) + 0.1 * K.mean(K.abs(outputs)))
    assert [type(layer).__name__ for layer in model.layers] == ['InputLayer', 'Dense']
    model.compile(SGD(learning_rate=0.05))
    x = rng.normal(size=(6, 3)).astype('float32')

    def numpy_loss():
        out = model.predict(x)
        return np.mean((x[:, :2] - out) ** 2) + 0.1 * np.mean(np.abs(out))
    before = numpy_loss()
    np.testing.assert_allclose(model.evaluate(x, batch_size=6, verbose=0), before, rtol=1e-5)
    np.testing.assert_allclose(model.evaluate(x, None, batch_size=6, verbose=0), before,
                               rtol=1e-5)
    history = model.fit(x, batch_size=6, epochs=2, verbose=0, validation_data=(x, None))
    np.testing.assert_allclose(history.history['loss'][0], before, rtol=1e-5)
    np.testing.assert_allclose(history.history['val_loss'][-1], numpy_loss(), rtol=1e-5)
    model.fit(x, None, batch_size=3, epochs=1, verbose=0)
    assert numpy_loss() < before


def build_vae(case, epsilon):
    """tools/make_add_loss_fixtures.py's VAE for `case` (Keras 2.2.5's example, small), with
    gkeras: the same layers in the same order, epsilon fixed."""
    image = case == 'vae_bce'
    inputs = Input(shape=(4, 4, 1) if image else (6,), name='encoder_input')
    x = Dense(5, activation='relu')(Flatten()(inputs) if image else inputs)
    z_mean = Dense(2, name='z_mean')(x)
    z_log_var = Dense(2, name='z_log_var')(x)

    def sampling(args):
        mean, log_var = args
        return mean + K.exp(0.5 * log_var) * K.constant(epsilon)
    z = Lambda(sampling, output_shape=(2,), name='z')([z_mean, z_log_var])
    encoder = Model(inputs, [z_mean, z_log_var, z], name='encoder')
    latent_inputs = Input(shape=(2,), name='z_sampling')
    x = Dense(5, activation='relu')(latent_inputs)
    decoded = Dense(16 if image else 6, activation='sigmoid')(x)
    if image:
        decoded = Reshape((4, 4, 1))(decoded)
    decoder = Model(latent_inputs, decoded, name='decoder')
    outputs = decoder(encoder(inputs)[2])
    vae = Model(inputs, outputs, name='vae')
    if image:
        reconstruction_loss = losses.binary_crossentropy(K.flatten(inputs), K.flatten(outputs))
        reconstruction_loss *= 4 * 4
    else:
        reconstruction_loss = losses.mse(inputs, outputs)
        reconstruction_loss *= 6
    kl_loss = 1 + z_log_var - K.square(z_mean) - K.exp(z_log_var)
    kl_loss = K.sum(kl_loss, axis=-1)
    kl_loss *= -0.5
    vae.add_loss(K.mean(reconstruction_loss + kl_loss))
    vae.compile(optimizer=SGD(learning_rate=0.1) if image else 'adam')
    return vae


def per_sample_model(_):
    inputs = Input(shape=(3,))
    outputs = Dense(2)(inputs)
    model = Model(inputs, outputs)
    model.add_loss(K.sum(K.square(outputs), axis=-1))
    model.compile(optimizer=SGD(learning_rate=0.01))
    return model


@pytest.mark.parametrize('case', ['vae_mse', 'vae_bce', 'per_sample'])
def test_training_on_added_losses_matches_tf_keras(backend, case):
    def get(name):
        return FIXTURES[f'{case}/{name}']
    x, epsilon = get('data/x'), get('data/epsilon')
    model = (per_sample_model if case == 'per_sample' else lambda e: build_vae(case, e))(epsilon)
    count = len(model.get_weights())
    model.set_weights([get(f'initial/w{i}') for i in range(count)])
    np.testing.assert_allclose(model.evaluate(x, batch_size=8, verbose=0),
                               get('losses/evaluate_before'), rtol=1e-5)
    history = model.fit(x, epochs=3, batch_size=8, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history['loss'], get('losses/history'), rtol=1e-5)
    np.testing.assert_allclose(model.evaluate(x, batch_size=8, verbose=0),
                               get('losses/evaluate_after'), rtol=1e-5)
    for i, weight in enumerate(model.get_weights()):
        np.testing.assert_allclose(weight, get(f'final/w{i}'), rtol=1e-4, atol=1e-6)


class VariationalLoss(Layer):
    """Keras 2.0's CustomVariationalLayer: the VAE loss computed in call() from its inputs and
    from z_mean / z_log_var, symbolic tensors of the model it closes over."""

    def __init__(self, z_mean, z_log_var, **kwargs):
        super().__init__(**kwargs)
        self.z_mean, self.z_log_var = z_mean, z_log_var

    def call(self, inputs):
        x, x_decoded_mean = inputs
        reconstruction_loss = 6 * losses.mse(x, x_decoded_mean)
        kl_loss = -0.5 * K.sum(1 + self.z_log_var - K.square(self.z_mean)
                               - K.exp(self.z_log_var), axis=-1)
        self.add_loss(K.mean(reconstruction_loss + kl_loss), inputs=inputs)
        return x

    def compute_output_shape(self, input_shape):
        return input_shape[0]


def test_keras_2_0_loss_layer_closing_over_model_tensors(backend):
    """The Keras 2.0 VAE (loss layer, compile(loss=None)) gives the 2.2.5 VAE's tf_keras loss."""
    x, epsilon = FIXTURES['vae_mse/data/x'], FIXTURES['vae_mse/data/epsilon']
    reference = build_vae('vae_mse', epsilon)
    encoder, decoder = reference.get_layer('encoder'), reference.get_layer('decoder')
    inputs = encoder.inputs[0]
    z_mean, z_log_var, z = encoder.outputs
    decoded = decoder(z)
    vae = Model(inputs, VariationalLoss(z_mean, z_log_var)([inputs, decoded]))
    vae.compile(optimizer='rmsprop', loss=None)
    vae.set_weights([FIXTURES[f'vae_mse/initial/w{i}'] for i in range(len(vae.get_weights()))])
    np.testing.assert_allclose(vae.evaluate(x, batch_size=8, verbose=0),
                               FIXTURES['vae_mse/losses/evaluate_before'], rtol=1e-5)
    history = vae.fit(x, None, batch_size=8, epochs=2, verbose=0, validation_data=(x, None))
    assert history.history['val_loss'][-1] < FIXTURES['vae_mse/losses/evaluate_before']


def test_loss_and_outputs_share_one_forward_pass(backend, rng):
    """A random layer inside a nested model gives the added loss and the outputs one draw."""
    inputs = Input((4,))
    noisy = Lambda(lambda t: t + K.random_normal(K.shape(t)))(inputs)
    encoder = Model(inputs, noisy)
    outputs = Lambda(lambda t: t * 1.)(encoder(inputs))
    model = Model(inputs, outputs)
    model.add_loss(K.sum(K.abs(noisy - outputs)))
    model.compile('sgd')
    x = rng.normal(size=(5, 4)).astype('float32')
    assert model.evaluate(x, verbose=0) == 0.
    model.train_on_batch(x, None)
    # the forward pass's values are not kept between steps (a whole pass of activations)
    assert model._latest_values == {} and encoder._latest_values == {}


def test_saving_a_model_with_symbolic_added_loss(backend, tmp_path):
    x, epsilon = FIXTURES['vae_mse/data/x'], FIXTURES['vae_mse/data/epsilon']
    vae = build_vae('vae_mse', epsilon)
    vae.fit(x, epochs=1, batch_size=8, verbose=0)
    path = str(tmp_path / 'vae_weights.h5')
    vae.save_weights(path)
    fresh = build_vae('vae_mse', epsilon)
    fresh.load_weights(path)
    for saved, loaded in zip(vae.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(saved, loaded)
    assert fresh.evaluate(x, batch_size=8, verbose=0) == \
        pytest.approx(vae.evaluate(x, batch_size=8, verbose=0), rel=1e-6)
    # the whole model saves with its weights; the added loss is not in the file (Keras 2.2.5)
    vae.save(str(tmp_path / 'vae.h5'))
    sampling = vae.get_layer('encoder').get_layer('z').function
    loaded = load_model(str(tmp_path / 'vae.h5'), custom_objects={'z': sampling}, compile=False)
    assert loaded.losses == []
    np.testing.assert_allclose(loaded.predict(x), vae.predict(x), rtol=1e-6)
    with pytest.raises(ValueError, match='needs a `loss`'):
        loaded.compile('adam')


def test_added_loss_errors(backend):
    inputs = Input((3,))
    model = Model(inputs, Dense(2)(inputs))
    with pytest.raises(ValueError, match='needs a `loss`'):
        model.compile('sgd')
    other = Input((3,))
    with pytest.raises(ValueError, match='not an input of this model'):
        model.add_loss(K.mean(other))
    with pytest.raises(ValueError, match='not a layer of this model'):
        model.add_loss(K.mean(Dense(1)(other * 1.)))
    with pytest.raises(ValueError, match=r'dot cannot be applied to symbolic tensors of '
                                         r'shapes \[\(None, 3\)\]'):
        K.dot(inputs, np.ones((4, 2), 'float32'))
    # a layer that may add losses lets compile pass; a pass that adds none is an error
    silent = Model(inputs, SquareLoss(None)(inputs))
    silent.compile('sgd')
    with pytest.raises(ValueError, match='no loss to optimize'):
        silent.train_on_batch(np.ones((2, 3), 'float32'), None)


def test_spatial_backend_functions_on_symbolic_tensors(backend, rng):
    """K.conv2d, K.pool2d, K.resize_images... on a model's tensors record graph nodes too, with
    the shapes of their eager results, and run in the model (checked against loop references)."""
    image = Input((6, 5, 2))
    kernel = rng.normal(size=(3, 3, 2, 4))
    features = K.conv2d(image, K.variable(kernel), padding='same')
    pooled = K.pool2d(features, (2, 2), strides=(2, 2), padding='same', pool_mode='max')
    upsampled = K.resize_images(pooled, 2, 3, 'channels_last')
    assert (features.shape, pooled.shape, upsampled.shape) == (
        (None, 6, 5, 4), (None, 3, 3, 4), (None, 6, 9, 4))
    x = rng.normal(size=(2, 6, 5, 2)).astype('float32')
    got = K.function([image], [pooled, upsampled])([x])
    expected = ref.pool(ref.conv(x, kernel, (1, 1), 'same', (1, 1), False), (2, 2), (2, 2),
                        'same', 'max', False)
    np.testing.assert_allclose(got[0], expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(got[1], np.repeat(np.repeat(got[0], 2, axis=1), 3, axis=2))


def test_symbolic_shapes_where_probing_with_two_and_three_fails(backend, rng):
    """An unknown dimension broadcast against a known one (TensorFlow allows it) and an index
    into an unknown dimension: the shapes are found with other probe sizes, and the values
    are those of NumPy on the fed arrays."""
    image = Input((None, None, 4))
    v = rng.normal(size=(5, 8, 8)).astype('float32')
    product = K.variable(v) * image[0, :, :, 0]
    third = image[:, :, 2, :]
    assert product.shape == (5, 8, 8) and third.shape == (None, None, 4)
    x = rng.normal(size=(2, 8, 8, 4)).astype('float32')
    got_product, got_third = K.function([image], [product, third])([x])
    np.testing.assert_allclose(got_product, v * x[0, :, :, 0], rtol=1e-6)
    np.testing.assert_array_equal(got_third, x[:, :, 2, :])
    with pytest.raises(ValueError, match='cannot be applied to symbolic tensors'):
        K.dot(Input((3,)), K.variable(np.ones((4, 2))))
