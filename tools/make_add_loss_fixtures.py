"""Write tests/fixtures/add_loss_reference.npz: models trained only on `model.add_loss` of
backend functions applied to symbolic tensors, by real tf_keras 2.21.

This script is NOT part of gkeras and gkeras/tests never import TensorFlow. It needs the
reference environment described in tests/fixtures/README.md:

    TF_USE_LEGACY_KERAS=1 /tmp/tfref/bin/python tools/make_add_loss_fixtures.py

and, given a path as its argument, it writes there instead (to compare a rerun with the
committed file).

Cases (keys ``<case>/<group>/<name>``):

- ``vae_mse``: Keras 2.2.5's examples/variational_autoencoder.py at small sizes (6 inputs, 5
  hidden, 2 latent): encoder and decoder Models nested in the VAE, the loss
  ``K.mean(mse(inputs, outputs) * 6 + (-0.5) * K.sum(1 + z_log_var - K.square(z_mean) -
  K.exp(z_log_var), axis=-1))`` added with ``vae.add_loss``, ``compile(optimizer=Adam())``.
- ``vae_bce``: examples/variational_autoencoder_deconv.py's loss on 4x4x1 images (Flatten and
  Dense encoder, Dense and Reshape decoder): ``binary_crossentropy(K.flatten(inputs),
  K.flatten(outputs)) * 16`` plus the same KL term, trained with SGD(0.1).
- ``per_sample``: ``Dense(2)`` with ``add_loss(K.sum(K.square(out), axis=-1))``, one value per
  sample, trained with SGD(0.01): tf.keras logs the mean and steps on the gradient of the sum.

In both VAEs the sampling Lambda adds ``exp(0.5 * z_log_var) * epsilon`` with a fixed epsilon
(``data/epsilon``, one row per sample) instead of K.random_normal, so the run is deterministic.
For each case: ``data/x`` (and ``data/epsilon``), ``initial/w<i>`` (the weights, in
``get_weights`` order), ``losses/evaluate_before`` (evaluate at the initial weights),
``losses/history`` (fit(x, epochs=3, batch_size=all samples, shuffle=False): one step per
epoch), ``losses/evaluate_after`` and ``final/w<i>``.
"""
import numpy as np

from fixture_writer import F32, Arrays, keras, output_path, write

K = keras.backend
L = keras.layers
out = Arrays()
put = out.put
rng = np.random.default_rng(20261124)
SAMPLES = 8
LATENT = 2


def encoder_decoder(inputs, flat_inputs, epsilon, decoded_shape):
    """Keras 2.2.5's VAE encoder and decoder (5 hidden units, 2 latent), with fixed epsilon."""
    x = L.Dense(5, activation="relu")(flat_inputs)
    z_mean = L.Dense(LATENT, name="z_mean")(x)
    z_log_var = L.Dense(LATENT, name="z_log_var")(x)

    def sampling(args):
        mean, log_var = args
        return mean + K.exp(0.5 * log_var) * K.constant(epsilon)
    z = L.Lambda(sampling, output_shape=(LATENT,), name="z")([z_mean, z_log_var])
    encoder = keras.Model(inputs, [z_mean, z_log_var, z], name="encoder")
    latent_inputs = keras.Input(shape=(LATENT,), name="z_sampling")
    x = L.Dense(5, activation="relu")(latent_inputs)
    decoded = L.Dense(int(np.prod(decoded_shape)), activation="sigmoid")(x)
    if len(decoded_shape) > 1:
        decoded = L.Reshape(decoded_shape)(decoded)
    decoder = keras.Model(latent_inputs, decoded, name="decoder")
    outputs = decoder(encoder(inputs)[2])
    return outputs, z_mean, z_log_var


def kl_term(z_mean, z_log_var):
    kl_loss = 1 + z_log_var - K.square(z_mean) - K.exp(z_log_var)
    kl_loss = K.sum(kl_loss, axis=-1)
    kl_loss *= -0.5
    return kl_loss


def vae_mse(epsilon):
    inputs = keras.Input(shape=(6,), name="encoder_input")
    outputs, z_mean, z_log_var = encoder_decoder(inputs, inputs, epsilon, (6,))
    vae = keras.Model(inputs, outputs, name="vae_mlp")
    reconstruction_loss = keras.losses.mse(inputs, outputs)
    reconstruction_loss *= 6
    vae.add_loss(K.mean(reconstruction_loss + kl_term(z_mean, z_log_var)))
    vae.compile(optimizer=keras.optimizers.Adam())
    return vae


def vae_bce(epsilon):
    inputs = keras.Input(shape=(4, 4, 1), name="encoder_input")
    outputs, z_mean, z_log_var = encoder_decoder(inputs, L.Flatten()(inputs), epsilon,
                                                 (4, 4, 1))
    vae = keras.Model(inputs, outputs, name="vae")
    reconstruction_loss = keras.losses.binary_crossentropy(K.flatten(inputs),
                                                           K.flatten(outputs))
    reconstruction_loss *= 4 * 4
    vae.add_loss(K.mean(reconstruction_loss + kl_term(z_mean, z_log_var)))
    # SGD, not the example's RMSprop: RMSprop's first steps are about lr * sign(gradient), so
    # float rounding in a gradient that crosses zero moves a weight by up to 2 * lr
    vae.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1))
    return vae


def per_sample(_):
    inputs = keras.Input(shape=(3,))
    outputs = L.Dense(2)(inputs)
    model = keras.Model(inputs, outputs)
    model.add_loss(K.sum(K.square(outputs), axis=-1))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01))
    return model


CASES = [("vae_mse", vae_mse, (6,)), ("vae_bce", vae_bce, (4, 4, 1)),
         ("per_sample", per_sample, (3,))]

for case, build, shape in CASES:
    x = rng.uniform(0, 1, (SAMPLES,) + shape).astype(F32)
    epsilon = rng.normal(size=(SAMPLES, LATENT)).astype(F32)
    model = build(epsilon)
    put(f"{case}/data/x", x)
    put(f"{case}/data/epsilon", epsilon)
    for i, w in enumerate(model.get_weights()):
        put(f"{case}/initial/w{i}", w)
    put(f"{case}/losses/evaluate_before",
        np.float32(model.evaluate(x, batch_size=SAMPLES, verbose=0)))
    history = model.fit(x, epochs=3, batch_size=SAMPLES, shuffle=False, verbose=0)
    put(f"{case}/losses/history", np.asarray(history.history["loss"], F32))
    put(f"{case}/losses/evaluate_after",
        np.float32(model.evaluate(x, batch_size=SAMPLES, verbose=0)))
    for i, w in enumerate(model.get_weights()):
        put(f"{case}/final/w{i}", w)

write(output_path("add_loss_reference.npz"), out)
