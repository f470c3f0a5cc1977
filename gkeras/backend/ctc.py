"""CTC (connectionist temporal classification): Keras 2's loss and decoders.

`ctc_batch_cost` and `ctc_decode` with tf_keras 2.21's semantics, which are those of TensorFlow's
CTCLoss, CTCGreedyDecoder and CTCBeamSearchDecoder ops: the blank is the last class, and
tf_keras feeds them log(y_pred + epsilon()) as logits. The loss is one autodiff primitive (the
forward-backward recursions in log space, over the batch and the label positions at once, one
step of a Python loop per time step); the decoders are not differentiable.

Keras' third CTC function, ctc_label_dense_to_sparse, is not here: gkeras has no sparse tensors.
"""
import heapq
import math

import numpy as np

from . import autodiff as ad
from . import selection
from .autodiff import Tensor, raw
from .config import epsilon, floatx
from .symbolic import symbolic_aware

__all__ = ['ctc_batch_cost', 'ctc_decode']


def _host_ints(x):
    """The values of x (Tensor, backend or NumPy array, list) as a NumPy int64 array, truncated
    toward zero as tf.cast truncates float labels and lengths."""
    return np.asarray(selection.active().to_numpy(raw(x))).astype(np.int64)


def _probabilities(y_pred, caller):
    y_pred = ad.as_tensor(y_pred)
    if y_pred.dtype.kind != 'f':
        y_pred = ad.cast(y_pred, floatx())
    if y_pred.ndim != 3:
        raise ValueError(f"{caller}: expected y_pred of shape (samples, time_steps, "
                         f"num_categories); received shape {y_pred.shape}.")
    return y_pred


# ---------------------------------------------------------------------------------------------
# The loss

def _label_sequences(labels, label_length, input_length, num_classes, time_steps):
    """Check the dense labels as TensorFlow's CTCLoss does and return (labels, lengths): each
    row's labels up to its first blank-or-above class (which ends the sequence, as in TF) and
    their count. Everything here is a small host array.

    A row whose first label is the blank has no labels: its loss is that of emitting nothing,
    -sum_t log y_blank(t) (Keras' image_ocr example labels its blank images so). TensorFlow's
    kernel has no such case -- its lattice then has one state and it writes past it -- and
    returns another number (5.322034 for uniform probabilities over 4 classes and 5 steps,
    where emitting nothing has -log(0.25^5) = 6.931472)."""
    batch = labels.shape[0]
    blank = num_classes - 1
    # ctc_label_dense_to_sparse keeps the first label_length labels, at most all of them
    count = np.minimum(label_length, labels.shape[1])
    for b in np.flatnonzero(count <= 0):
        raise ValueError(f"ctc_batch_cost: label_length must be >= 1; received label_length="
                         f"{label_length[b]} for sample {b}.")
    for b in np.flatnonzero((input_length < 0) | (input_length > time_steps)):
        raise ValueError(f"ctc_batch_cost: input_length must be between 0 and the {time_steps} "
                         f"time steps of y_pred; received input_length={input_length[b]} for "
                         f"sample {b}.")
    for b in np.flatnonzero(count > input_length):
        raise ValueError(f"ctc_batch_cost: a label of length {count[b]} needs at least as many "
                         f"time steps; received input_length={input_length[b]} for sample {b}.")
    used = np.arange(labels.shape[1])[None, :] < count[:, None]
    ended = used & (labels >= blank)
    lengths = np.where(ended.any(axis=1), ended.argmax(axis=1), count)
    for b in range(batch):
        row = labels[b, :count[b]]
        if (row[lengths[b]:] < blank).any():
            raise ValueError(f"ctc_batch_cost: labels after the blank class {blank} (or above) "
                             f"must be blank too, as they end the sequence; received labels "
                             f"{row.tolist()} for sample {b}.")
        if (row[:lengths[b]] < 0).any():
            raise ValueError(f"ctc_batch_cost: labels must be class indices >= 0; received "
                             f"labels {row.tolist()} for sample {b}.")
    width = int(lengths.max())
    within = np.arange(width)[None, :] < lengths[:, None]
    return np.where(within, labels[:, :width], blank), lengths


def _shift(a, n, fill):
    """a moved n places along the last axis (right for n > 0, left for n < 0), `fill` shifted in."""
    xp = selection.active().xp
    out = xp.full_like(a, fill)
    if n > 0:
        out[..., n:] = a[..., :-n]
    else:
        out[..., :n] = a[..., -n:]
    return out


def _ctc_loss(logits, labels, label_lengths, input_lengths):
    """-log p(labels | logits) per sample, as TensorFlow's CTCLoss: a (batch, 1) tensor.

    Args:
        logits: (batch, time, classes) tensor; softmax over classes gives the emission
            probabilities, the last class being the blank.
        labels: (batch, max_label) int NumPy array, padded with the blank past label_lengths.
        label_lengths, input_lengths: (batch,) int NumPy arrays, every label feasible in length.
    """
    xp = selection.active().xp
    logit_data = raw(logits)
    batch, time_steps, num_classes = logit_data.shape
    blank = num_classes - 1
    states = 2 * labels.shape[1] + 1
    # The extended label sequence: blank, l1, blank, l2, ..., blank.
    extended = np.full((batch, states), blank, np.int64)
    extended[:, 1::2] = labels
    skip = np.zeros((batch, states), bool)
    skip[:, 2:] = (extended[:, 2:] != blank) & (extended[:, 2:] != extended[:, :-2])
    rows = xp.arange(batch)
    last_step = xp.asarray(input_lengths - 1)
    final_state = xp.asarray(2 * label_lengths)

    log_probs = logit_data - _logsumexp_last(logit_data)
    extended_dev = xp.asarray(extended)
    emit = xp.take_along_axis(log_probs, xp.broadcast_to(
        extended_dev[:, None, :], (batch, time_steps, states)), axis=2)
    skip_dev = xp.asarray(skip)
    log_zero = -math.inf
    alpha = xp.full((time_steps, batch, states), log_zero, log_probs.dtype)
    alpha[0, :, :2] = emit[:, 0, :2]
    for t in range(1, int(input_lengths.max())):
        previous = alpha[t - 1]
        reach = xp.logaddexp(previous, _shift(previous, 1, log_zero))
        reach = xp.logaddexp(reach, xp.where(skip_dev, _shift(previous, 2, log_zero), log_zero))
        alpha[t] = reach + emit[:, t]
    end = alpha[last_step, rows]
    # the paths end on the last label or the blank after it (only that blank: no labels)
    loss = -xp.logaddexp(end[rows, final_state], xp.where(
        final_state > 0, end[rows, final_state - 1], log_zero))

    def vjp(dy, needs):
        beta = xp.full_like(alpha, log_zero)
        beta[last_step, rows, final_state] = 0
        with_labels = xp.asarray(label_lengths > 0)
        beta[last_step[with_labels], rows[with_labels], final_state[with_labels] - 1] = 0
        skip_ahead = _shift(skip_dev, -2, False)
        for t in range(int(input_lengths.max()) - 2, -1, -1):
            following = beta[t + 1] + emit[:, t + 1]
            reach = xp.logaddexp(following, _shift(following, -1, log_zero))
            reach = xp.logaddexp(reach, xp.where(skip_ahead, _shift(following, -2, log_zero),
                                                 log_zero))
            beta[t] = xp.where(t < last_step[:, None], reach, beta[t])
        feasible = xp.isfinite(loss)
        # Where no alignment exists (repeats leave too few steps) TF's gradient is the softmax.
        posterior = xp.exp(xp.where(feasible[None, :, None],
                                    alpha + beta + xp.where(feasible, loss, 0)[None, :, None],
                                    log_zero))
        one_hot = xp.asarray(extended[:, :, None] == np.arange(num_classes), log_probs.dtype)
        occupancy = xp.einsum('tbs,bsc->btc', posterior, one_hot)
        in_sequence = xp.arange(time_steps)[None, :] < xp.asarray(input_lengths)[:, None]
        grad = (xp.exp(log_probs) - occupancy) * (in_sequence[:, :, None] * dy[:, :, None])
        return (grad.astype(log_probs.dtype, copy=False),)
    return ad._record(loss[:, None], (logits,), vjp)


def _logsumexp_last(a):
    xp = selection.active().xp
    top = a.max(axis=-1, keepdims=True)
    return top + xp.log(xp.exp(a - top).sum(axis=-1, keepdims=True))


def ctc_batch_cost(y_true, y_pred, input_length, label_length):
    """The CTC loss of each sample, a (samples, 1) tensor differentiable in y_pred.

    Args:
        y_true: (samples, max_string_length) labels, class indices below the blank (the last
            class); entries past label_length are ignored.
        y_pred: (samples, time_steps, num_categories) probabilities (a softmax's output).
        input_length: (samples, 1) number of time steps of y_pred to use per sample.
        label_length: (samples, 1) number of labels per sample.

    A label that its input_length cannot fit raises ValueError, as TensorFlow does; one that
    fits only by ignoring the blanks its repeated labels need gets an infinite loss, as in TF.
    """
    y_pred = _probabilities(y_pred, 'ctc_batch_cost')
    batch, time_steps, num_classes = y_pred.shape
    labels = _host_ints(y_true)
    lengths = {'input_length': _host_ints(input_length),
               'label_length': _host_ints(label_length)}
    if labels.ndim != 2 or labels.shape[0] != batch:
        raise ValueError(f"ctc_batch_cost: expected y_true of shape ({batch}, "
                         f"max_string_length) for y_pred of shape {y_pred.shape}; received "
                         f"shape {labels.shape}.")
    for name, value in lengths.items():
        if value.shape != (batch, 1):
            raise ValueError(f"ctc_batch_cost: expected {name} of shape ({batch}, 1); received "
                             f"shape {value.shape}.")
    input_lengths = lengths['input_length'][:, 0]
    labels, label_lengths = _label_sequences(labels, lengths['label_length'][:, 0],
                                             input_lengths, num_classes, time_steps)
    return _ctc_loss(ad.log(y_pred + epsilon()), labels, label_lengths, input_lengths)


# ---------------------------------------------------------------------------------------------
# Decoding

def _greedy(logits, sequence_lengths):
    """TF's CTCGreedyDecoder: the best class per step, repeats merged, blanks dropped. Returns the
    labels (batch, time) left-aligned and padded with -1, and minus the sum of the best logits."""
    xp = selection.active().xp
    batch, time_steps, num_classes = logits.shape
    best = logits.argmax(axis=2)
    in_sequence = xp.arange(time_steps)[None, :] < xp.asarray(sequence_lengths)[:, None]
    previous = xp.concatenate([xp.full((batch, 1), -1, best.dtype), best[:, :-1]], axis=1)
    keep = in_sequence & (best != num_classes - 1) & (best != previous)
    position = xp.cumsum(keep, axis=1) - 1
    decoded = xp.full((batch, time_steps), -1, xp.int64)
    rows = xp.broadcast_to(xp.arange(batch)[:, None], keep.shape)
    decoded[rows[keep], position[keep]] = best[keep]
    score = xp.where(in_sequence, -logits.max(axis=2), 0).sum(axis=1, keepdims=True)
    return [decoded], score.astype(logits.dtype, copy=False)


def _log_sum_exp(a, b):
    """TF's ctc LogSumExp of two log probabilities."""
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    return max(a, b) + math.log1p(math.exp(-abs(a - b)))


class _Prefix:
    """A node of the beam search's prefix tree: a label sequence, with the log probabilities of
    its paths that end in a blank and in its last label, at this step (`new`) and the previous
    one (`old`), each as [total, blank, label]."""
    __slots__ = ('parent', 'label', 'children', 'old', 'new')

    def __init__(self, parent, label):
        self.parent = parent
        self.label = label
        self.children = {}
        self.old = [-math.inf] * 3
        self.new = [-math.inf] * 3

    def active(self):
        return self.new[0] != -math.inf

    def child(self, label):
        if label not in self.children:
            self.children[label] = _Prefix(self, label)
        return self.children[label]

    def labels(self):
        """The label sequence, repeats merged (the v1 decoder's merge_repeated=True)."""
        out, previous, node = [], -1, self
        while node.parent is not None:
            if node.label != previous:
                out.append(node.label)
            previous = node.label
            node = node.parent
        return out[::-1]


class _Leaves:
    """TF's gtl::TopN of prefixes by new total log probability: at most `width`; pushing onto a
    full one evicts the lowest and resets its new probabilities, as the decoder does."""

    def __init__(self, width):
        self.width = width
        self.heap = []
        self.pushes = 0

    def __len__(self):
        return len(self.heap)

    def lowest(self):
        """The total a prefix must exceed to enter: the lowest one's when full, else -inf."""
        return self.heap[0][0] if len(self.heap) == self.width else -math.inf

    def push(self, prefix):
        self.pushes += 1
        item = (prefix.new[0], self.pushes, prefix)
        if len(self.heap) < self.width:
            heapq.heappush(self.heap, item)
        elif item[0] > self.heap[0][0]:
            heapq.heapreplace(self.heap, item)[2].new = [-math.inf] * 3

    def extract(self):
        """All prefixes, best first, leaving the set empty."""
        out = [item[2] for item in sorted(self.heap, key=lambda item: (-item[0], item[1]))]
        self.heap = []
        return out


def _beam_search_step(leaves, log_probs):
    """One time step of TF's CTCBeamSearchDecoder::Step (no label selection, no scorer);
    log_probs: this step's normalized log probabilities (float64), the blank last."""
    blank = len(log_probs) - 1
    row = log_probs.tolist()
    branches = leaves.extract()
    for prefix in branches:
        prefix.old = list(prefix.new)
    for prefix in branches:
        new = prefix.new
        if prefix.parent is not None:
            parent = prefix.parent
            if parent.active():
                previous = parent.old[1] if prefix.label == parent.label else parent.old[0]
                new[2] = _log_sum_exp(new[2], previous)
            new[2] += row[prefix.label]
        new[1] = prefix.old[0] + row[blank]
        new[0] = _log_sum_exp(new[1], new[2])
        leaves.push(prefix)
    for prefix in branches:
        old_total = prefix.old[0]
        if old_total == -math.inf or old_total <= leaves.lowest():
            continue
        extended = log_probs[:blank] + old_total
        if prefix.label >= 0:
            extended[prefix.label] = row[prefix.label] + prefix.old[1]
        # The entry bar only rises during a step, so a label below it now never gets in. TF
        # creates and resets such a child; only resetting an existing one can matter (an
        # evicted branch, which then expands no further), so labels without a child are skipped.
        hopeful = np.flatnonzero(extended > leaves.lowest()).tolist()
        for label in sorted(set(hopeful).union(prefix.children)):
            child = prefix.children.get(label)
            if child is not None and child.active():
                continue
            total = float(extended[label])
            if total > leaves.lowest():
                child = prefix.child(label)
                child.new = [total, -math.inf, total]
                leaves.push(child)
            elif child is not None:
                child.old = [-math.inf] * 3
                child.new = [-math.inf] * 3


def _beam_search(logits, sequence_lengths, beam_width, top_paths):
    """TF's CTCBeamSearchDecoder (merge_repeated=True) on host arrays: the top_paths label
    sequences of each sample and their log probabilities (batch, top_paths)."""
    batch, time_steps, num_classes = logits.shape
    wide = logits.astype(np.float64)
    top = wide.max(axis=2, keepdims=True)
    log_probs = wide - (top + np.log(np.exp(wide - top).sum(axis=2, keepdims=True)))
    paths = [[None] * batch for _ in range(top_paths)]
    scores = np.zeros((batch, top_paths), logits.dtype)
    for b in range(batch):
        root = _Prefix(None, -1)
        root.new = [0.0, 0.0, -math.inf]
        leaves = _Leaves(beam_width)
        leaves.push(root)
        for t in range(sequence_lengths[b]):
            _beam_search_step(leaves, log_probs[b, t])
        if top_paths > len(leaves):
            raise ValueError(f"ctc_decode: the beam search of sample {b} found "
                             f"{len(leaves)} label sequences, fewer than top_paths={top_paths}.")
        best = leaves.extract()[:top_paths]
        for i, prefix in enumerate(best):
            paths[i][b] = prefix.labels()
            scores[b, i] = prefix.new[0]
    backend = selection.active()
    decoded = []
    for sequences in paths:
        dense = np.full((batch, time_steps), -1, np.int64)
        for b, sequence in enumerate(sequences):
            dense[b, :len(sequence)] = sequence
        decoded.append(backend.asarray(dense))
    return decoded, backend.asarray(scores)


def ctc_decode(y_pred, input_length, greedy=True, beam_width=100, top_paths=1):
    """Decode a softmax's output: best path (greedy) or beam search, as tf_keras 2.21.

    Args:
        y_pred: (samples, time_steps, num_categories) probabilities, the blank last.
        input_length: (samples,) number of time steps to decode per sample.
        greedy: best path if True; else a beam search of beam_width keeping top_paths.

    Returns:
        (decoded, log_prob): decoded is a list of top_paths (1 when greedy) int64 tensors
        (samples, time_steps), labels left-aligned and padded with -1; log_prob is (samples,
        top_paths): the beam search's log probabilities, or for greedy decoding, as in
        TensorFlow, minus the sum over steps of the best log(y_pred + epsilon).
    """
    y_pred = _probabilities(y_pred, 'ctc_decode')
    batch, time_steps, _ = y_pred.shape
    lengths = _host_ints(input_length)
    if lengths.shape != (batch,):
        raise ValueError(f"ctc_decode: expected input_length of shape ({batch},); received "
                         f"shape {lengths.shape}.")
    for b in np.flatnonzero(lengths > time_steps):
        raise ValueError(f"ctc_decode: input_length must be at most the {time_steps} time "
                         f"steps of y_pred; received input_length={lengths[b]} for sample {b}.")
    # TF decodes nothing for a negative length, as for 0.
    lengths = np.maximum(lengths, 0)
    xp = selection.active().xp
    logits = xp.log(raw(y_pred) + epsilon())
    if greedy:
        decoded, log_prob = _greedy(logits, lengths)
    else:
        for name, value in (('beam_width', beam_width), ('top_paths', top_paths)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"ctc_decode: {name} must be an integer >= 1; received "
                                 f"{name}={value!r}.")
        if top_paths > beam_width:
            raise ValueError(f"ctc_decode: top_paths must be at most beam_width; received "
                             f"top_paths={top_paths}, beam_width={beam_width}.")
        decoded, log_prob = _beam_search(selection.active().to_numpy(logits), lengths,
                                         beam_width, top_paths)
    return [Tensor(d) for d in decoded], Tensor(log_prob)


# as the other K functions: on a model's symbolic tensors they record a graph node (symbolic.py;
# ctc_decode, which returns a list and a tensor, then asks for a Lambda layer)
ctc_batch_cost = symbolic_aware(ctc_batch_cost)
ctc_decode = symbolic_aware(ctc_decode)
