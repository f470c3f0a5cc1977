"""Write tests/fixtures/ctc_reference.npz: K.ctc_batch_cost (with its gradient) and K.ctc_decode
computed by real tf_keras 2.21.

This script is NOT part of gkeras and gkeras/tests never import TensorFlow. It needs the
reference environment described in tests/fixtures/README.md:

    TF_USE_LEGACY_KERAS=1 /tmp/tfref/bin/python tools/make_ctc_fixtures.py

and, given a path as its argument, it writes there instead (to compare a rerun with the
committed file).

Keys:

- ``loss/<case>/*``: ``y_pred`` (samples, time_steps, classes) softmax outputs, ``y_true``
  (int32 labels padded with -1 past ``label_length``), ``input_length`` and ``label_length``
  (int32, (samples, 1)), ``loss`` = K.ctc_batch_cost(...) (samples, 1), ``weight`` (samples, 1)
  random and ``grad`` = d sum(loss * weight) / d y_pred from tf.GradientTape.
- ``decode/<case>/*``: ``y_pred`` and ``input_length`` (int32, (samples,)), then for each
  decoder ``<mode>`` (``greedy``, ``beam_w<beam_width>_top<top_paths>``):
  ``<mode>_decoded`` (int64, (top_paths, samples, time_steps), -1 padded) and
  ``<mode>_log_prob`` from K.ctc_decode.

All float arrays are float32 and every random input comes from a fixed NumPy seed.
"""
import numpy as np

from fixture_writer import F32, Arrays, keras, output_path, tf, write

K = keras.backend
out = Arrays()
put = out.put
rng = np.random.default_rng(20261123)


def softmax_outputs(shape, sharpness):
    """Random softmax outputs; larger sharpness gives peakier rows (repeats for the decoders)."""
    logits = rng.normal(0, sharpness, shape)
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True)).astype(F32)


# (case, labels (ragged), input lengths, time steps, classes incl. blank, padded label width,
#  label lengths where they are not the labels' own)
LOSS_CASES = [
    # repeats (1, 1) need a blank between them; lengths below time_steps
    ("varied", [[0, 1, 1], [2], [3, 3], [1, 2, 0, 3]], [7, 5, 3, 6], 7, 5, 4, None),
    # length-1 inputs with length-1 labels
    ("single_step", [[0], [2], [1]], [1, 1, 1], 1, 4, 1, None),
    # batch of 1, a label exactly as long as it can be (every step used, repeats included)
    ("tight", [[0, 0, 1, 1]], [6], 6, 3, 4, None),
    # one time step per label; a label_length beyond the padded width reads the whole row
    ("one_step_per_label", [[1, 0], [2, 2, 2]], [2, 5], 5, 4, 3, [2, 7]),
]

for case, labels, input_length, time_steps, classes, width, label_length in LOSS_CASES:
    batch = len(labels)
    y_pred = softmax_outputs((batch, time_steps, classes), 1.5)
    y_true = np.full((batch, width), -1, np.int32)
    for b, label in enumerate(labels):
        y_true[b, :len(label)] = label
    input_length = np.array(input_length, np.int32)[:, None]
    label_length = np.array(label_length or [len(label) for label in labels], np.int32)[:, None]
    weight = rng.uniform(0.5, 2.0, (batch, 1)).astype(F32)
    y_var = tf.Variable(y_pred)
    with tf.GradientTape() as tape:
        loss = K.ctc_batch_cost(y_true, y_var, input_length, label_length)
        total = tf.reduce_sum(loss * weight)
    for name, value in (("y_pred", y_pred), ("y_true", y_true), ("input_length", input_length),
                        ("label_length", label_length), ("loss", loss.numpy()),
                        ("weight", weight), ("grad", tape.gradient(total, y_var).numpy())):
        put(f"loss/{case}/{name}", value)

# (case, shape, sharpness, input lengths, [(beam_width, top_paths), ...])
DECODE_CASES = [
    ("peaky", (3, 8, 4), 3.0, [8, 5, 1], [(3, 1), (4, 2), (100, 2)]),
    ("flat", (2, 6, 5), 0.7, [6, 4], [(2, 2), (100, 1), (100, 2)]),
    ("empty_and_single", (2, 3, 3), 1.0, [0, 1], [(5, 1)]),
    # narrow beams over many steps: prefixes keep leaving the beam
    ("pruned", (3, 12, 6), 0.5, [12, 10, 7], [(4, 3), (8, 2)]),
]

for case, shape, sharpness, input_length, beams in DECODE_CASES:
    y_pred = softmax_outputs(shape, sharpness)
    input_length = np.array(input_length, np.int32)
    put(f"decode/{case}/y_pred", y_pred)
    put(f"decode/{case}/input_length", input_length)
    modes = [("greedy", dict(greedy=True))] + [
        (f"beam_w{w}_top{p}", dict(greedy=False, beam_width=w, top_paths=p)) for w, p in beams]
    for mode, kwargs in modes:
        decoded, log_prob = K.ctc_decode(y_pred, input_length, **kwargs)
        put(f"decode/{case}/{mode}_decoded", np.stack([d.numpy() for d in decoded]))
        put(f"decode/{case}/{mode}_log_prob", log_prob.numpy())

write(output_path("ctc_reference.npz"), out)
