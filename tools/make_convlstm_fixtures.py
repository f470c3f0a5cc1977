"""Write tests/fixtures/convlstm_reference.npz: reference values of ConvLSTM2D from tf_keras 2.21.

This script is NOT part of gkeras; gkeras and its tests never import TensorFlow. Same
environment as tools/make_sequence_fixtures.py (see tests/fixtures/README.md):

    TF_USE_LEGACY_KERAS=1 /tmp/tfref/bin/python tools/make_convlstm_fixtures.py

and, given a path as its argument, it writes there instead (to compare a rerun with the
committed file).

The cases are recorded by make_sequence_fixtures.record, so the keys are those its docstring
lists (`convlstm/<case>/{spec, x<i>, w_<layer>_<k>, y<i>, r<i>, g<i>, t<i>, loss, a_<layer>_<k>}`:
the JSON model spec, inputs, initial weights, predictions, input gradients of sum(y * r), and the
loss and weights after one train_on_batch with SGD(learning_rate=0.1) and 'mse'), and
tests/sequence_cases.py replays them. Besides, `stateful/convlstm/*` holds a stateful layer's
weights `w_rnn_<k>`, predictions `y1`, `y2` on two consecutive batches `x1`, `x2`, and `y2_reset`
on `x2` again after reset_states.

Inputs are (batch 2, time 3, rows 3, cols 4, channels 2) unless noted; masked inputs have whole
frames of zeros (sample 0: the last step, sample 1: the first) and, in the `pixels` cases, single
zero pixels too: tf.keras then masks per position (Masking gives a (batch, time, rows, cols)
mask, and the loop holds the states of the masked positions only).
"""
import numpy as np

import make_sequence_fixtures as seq
from fixture_writer import F32, keras, output_path, tf, write
from make_sequence_fixtures import layer

SHAPE = (2, 3, 3, 4, 2)


def frames(rng, shape=SHAPE, masked=None):
    x = rng.normal(size=shape).astype(F32)
    if masked:
        x[0, -1] = 0.0       # post-padding
        x[1, 0] = 0.0        # pre-padding
    if masked == "pixels":
        x[0, 1, 2, 3] = 0.0  # one pixel of a frame
        x[1, 2, 0, 0] = 0.0
    return x


def conv_spec(masked=False, shape=SHAPE, **kwargs):
    layers = []
    inbound = ["in0"]
    if masked:
        layers.append(layer("mask", "Masking", ["in0"], mask_value=0.0))
        inbound = ["mask"]
    layers.append(layer("rnn", "ConvLSTM2D", inbound, **kwargs))
    outputs = ["rnn:0", "rnn:1", "rnn:2"] if kwargs.get("return_state") else ["rnn"]
    return {"inputs": [{"shape": list(shape[1:])}], "layers": layers, "outputs": outputs}


CASES = {
    "seq_same": dict(filters=2, kernel_size=(3, 2), padding="same", return_sequences=True),
    "last_valid": dict(filters=2, kernel_size=(3, 2)),
    "backwards_seq": dict(filters=2, kernel_size=3, padding="same", return_sequences=True,
                          go_backwards=True),
    "strides2_state": dict(filters=2, kernel_size=3, strides=2, padding="same",
                           return_state=True),
    "strides21_valid_seq": dict(filters=3, kernel_size=(2, 3), strides=(2, 1),
                                return_sequences=True),
    "dilation_valid_last": dict(filters=2, kernel_size=2, dilation_rate=2),
    "relu_sigmoid_no_bias_seq": dict(filters=2, kernel_size=(3, 2), padding="same",
                                     activation="relu", recurrent_activation="sigmoid",
                                     use_bias=False, return_sequences=True),
}
MASKED_CASES = {
    "masked_frames_backwards_last": ("frames", dict(filters=2, kernel_size=3, padding="same",
                                                    go_backwards=True)),
    "masked_pixels_seq": ("pixels", dict(filters=2, kernel_size=(3, 2), padding="same",
                                         return_sequences=True)),
    "masked_pixels_backwards_state": ("pixels", dict(filters=2, kernel_size=3, padding="same",
                                                     go_backwards=True, return_state=True)),
}


def make_cases():
    rng = np.random.default_rng(5001)
    seed = 800
    for name, kwargs in CASES.items():
        seed += 1
        seq.record("convlstm", name, conv_spec(**kwargs), [frames(rng)], seed)
    for name, (masked, kwargs) in MASKED_CASES.items():
        seed += 1
        seq.record("convlstm", name, conv_spec(masked=True, **kwargs),
                   [frames(rng, masked=masked)], seed)
    # Bidirectional: with return_sequences, masked steps output zeros (zero_output_for_mask)
    spec = {"inputs": [{"shape": list(SHAPE[1:])}],
            "layers": [layer("mask", "Masking", ["in0"], mask_value=0.0),
                       layer("bidi", "Bidirectional", ["mask"],
                             layer=seq.nested("ConvLSTM2D", filters=1, kernel_size=2,
                                              padding="same", return_sequences=True))],
            "outputs": ["bidi"]}
    seq.record("convlstm", "bidirectional_masked_pixels_seq", spec,
               [frames(rng, masked="pixels")], 819)
    channels_first = (2, 3, 2, 3, 4)
    seq.record("convlstm", "channels_first_seq",
               conv_spec(shape=channels_first, filters=2, kernel_size=(3, 2),
                         data_format="channels_first", return_sequences=True),
               [frames(rng, shape=channels_first)], 820)
    seq.record("convlstm", "batch1_odd_seq",
               conv_spec(shape=(1, 4, 3, 3, 1), filters=1, kernel_size=2, padding="same",
                         return_sequences=True), [frames(rng, shape=(1, 4, 3, 3, 1))], 821)
    # initial states as model inputs; valid padding makes them (batch, 1, 3, filters)
    spec = {"inputs": [{"shape": list(SHAPE[1:])}, {"shape": [1, 3, 2]}, {"shape": [1, 3, 2]}],
            "layers": [layer("rnn", "ConvLSTM2D", ["in0"],
                             call={"initial_state": ["in1", "in2"]}, filters=2,
                             kernel_size=(3, 2), return_sequences=True, return_state=True)],
            "outputs": ["rnn:0", "rnn:1", "rnn:2"]}
    states = [rng.normal(size=(2, 1, 3, 2)).astype(F32) for _ in range(2)]
    seq.record("convlstm", "initial_state_seq", spec, [frames(rng)] + states, 822)


def make_stateful():
    rng = np.random.default_rng(5002)
    model = keras.Sequential([keras.layers.ConvLSTM2D(2, (3, 2), padding="same", stateful=True,
                                                      batch_input_shape=SHAPE)])
    weights = [seq.random_weight(rng, w.shape, w.name) for w in model.weights]
    model.set_weights(weights)
    x1, x2 = frames(rng), frames(rng)
    for k, w in enumerate(weights):
        seq.put(f"stateful/convlstm/w_rnn_{k}", w)
    seq.put("stateful/convlstm/x1", x1)
    seq.put("stateful/convlstm/x2", x2)
    seq.put("stateful/convlstm/y1", model.predict(x1, batch_size=2, verbose=0))
    seq.put("stateful/convlstm/y2", model.predict(x2, batch_size=2, verbose=0))
    model.reset_states()
    seq.put("stateful/convlstm/y2_reset", model.predict(x2, batch_size=2, verbose=0))


def main():
    keras.utils.set_random_seed(0)
    seq.put("meta/versions/tf_keras", keras.__version__)
    seq.put("meta/versions/tensorflow", tf.__version__)
    make_cases()
    make_stateful()
    write(output_path("convlstm_reference.npz"), seq.out)


if __name__ == "__main__":
    main()
