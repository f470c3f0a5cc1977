"""The TensorBoard callback's event files (utils/event_file.py writes them without TensorFlow):
checked with a reader written here against the CRC-32C check value and against an event file
written by Keras 2.2.5's own TensorBoard callback for the same model, weights and data (the
same scalars, and weight and output histograms with the same counts, extremes and sums)."""
import glob
import os
import struct

import numpy as np
import pytest

from gkeras import callbacks
from gkeras.layers import Dense
from gkeras.models import Sequential
from gkeras.optimizers import SGD
from gkeras.utils import event_file

FIXTURES = os.path.join(os.path.dirname(__file__), 'fixtures', 'tensorboard')


def test_crc32c_check_value():
    assert event_file.crc32c(b'123456789') == 0xE3069283  # the CRC-32C catalogue's check
    assert event_file.crc32c(b'') == 0


# ---------------------------------------------------------------------------------------------
# a reader: TFRecords, then the protocol-buffer fields by number

def records(path):
    with open(path, 'rb') as f:
        data = f.read()
    at = 0
    while at < len(data):
        header = data[at:at + 8]
        (length,) = struct.unpack('<Q', header)
        assert struct.unpack('<I', data[at + 8:at + 12])[0] == event_file.masked_crc32c(header)
        body = data[at + 12:at + 12 + length]
        assert struct.unpack('<I', data[at + 12 + length:at + 16 + length])[0] == \
            event_file.masked_crc32c(body)
        yield body
        at += 16 + length


def fields(message):
    """{field number: [values]}: varints as ints, fixed64 as doubles, fixed32 as floats,
    length-delimited as bytes."""
    out, at = {}, 0
    while at < len(message):
        key, at = varint(message, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, at = varint(message, at)
        elif wire == 1:
            (value,), at = struct.unpack('<d', message[at:at + 8]), at + 8
        elif wire == 5:
            (value,), at = struct.unpack('<f', message[at:at + 4]), at + 4
        else:
            length, at = varint(message, at)
            value, at = message[at:at + length], at + length
        out.setdefault(number, []).append(value)
    return out


def varint(data, at):
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, at


def summaries(path):
    """[(step, tag, value)]: value a float, or (num, min, max, sum) for a histogram."""
    out = []
    for body in records(path):
        event = fields(body)
        step = event.get(2, [0])[0]
        for summary in event.get(5, []):
            for raw in fields(summary).get(1, []):
                value = fields(raw)
                tag = value[1][0].decode()
                if 2 in value:
                    out.append((step, tag, value[2][0]))
                else:
                    histogram = fields(value[5][0])
                    # proto3 leaves out fields equal to 0
                    out.append((step, tag, tuple(histogram.get(i, [0.0])[0]
                                                 for i in (3, 1, 2, 4))))
    return out


def histograms_by_step(entries):
    """{(step, tag): (num, min, max, sum)}. Keras 2.2 writes all histograms once per validation
    batch: the outputs' ('<layer>_out') of that batch are merged here, the weights' repeat."""
    merged = {}
    for step, tag, value in entries:
        if not isinstance(value, tuple):
            continue
        if (step, tag) in merged:
            if not tag.endswith('_out'):
                assert merged[(step, tag)] == value, (step, tag)
                continue
            n0, l0, h0, s0 = merged[(step, tag)]
            num, low, high, total = value
            value = (n0 + num, min(l0, low), max(h0, high), s0 + total)
        merged[(step, tag)] = value
    return merged


def test_the_reader_reads_keras_tensorboard_files():
    entries = summaries(os.path.join(FIXTURES, 'k22_events'))
    scalars = {(step, tag): value for step, tag, value in entries if not isinstance(value, tuple)}
    assert set(scalars) == {(s, t) for s in (0, 1) for t in (
        'loss', 'val_loss', 'mean_absolute_error', 'val_mean_absolute_error')}
    assert histograms_by_step(entries)[(0, 'hidden_out')][0] == 5 * 4


def test_tensorboard_logs_what_keras_2_logs(backend, tmp_path):
    setup = np.load(os.path.join(FIXTURES, 'k22_setup.npz'))
    model = Sequential([Dense(4, activation='relu', input_shape=(3,), name='hidden'),
                        Dense(1, name='head')])
    model.set_weights([setup[f'w{i}'] for i in range(4)])
    model.compile(SGD(lr=0.0), 'mse', metrics=['mae'])  # as the fixture (see its tool)
    model.fit(setup['x'], setup['y'], batch_size=4, epochs=2, shuffle=False, verbose=0,
              validation_data=(setup['val_x'], setup['val_y']),
              callbacks=[callbacks.TensorBoard(str(tmp_path), histogram_freq=1, batch_size=4,
                                               write_graph=False)])
    (path,) = glob.glob(str(tmp_path / 'events.out.tfevents.*'))
    ours, theirs = summaries(path), summaries(os.path.join(FIXTURES, 'k22_events'))
    renamed = {'mae': 'mean_absolute_error', 'val_mae': 'val_mean_absolute_error'}
    our_scalars = {(step, renamed.get(tag, tag)): value for step, tag, value in ours
                   if not isinstance(value, tuple)}
    their_scalars = {(step, tag): value for step, tag, value in theirs
                     if not isinstance(value, tuple)}
    assert our_scalars.keys() == their_scalars.keys()
    for key, value in their_scalars.items():
        assert our_scalars[key] == pytest.approx(value, rel=1e-5), key
    our_histograms, their_histograms = histograms_by_step(ours), histograms_by_step(theirs)
    assert our_histograms.keys() == their_histograms.keys()
    for key, value in their_histograms.items():
        np.testing.assert_allclose(our_histograms[key], value, rtol=1e-5, atol=1e-6,
                                   err_msg=str(key))


def test_batch_updates_and_errors(backend, tmp_path, rng):
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile('sgd', 'mse')
    x, y = rng.standard_normal((10, 2)), rng.standard_normal((10, 1))
    model.fit(x, y, batch_size=4, epochs=1, verbose=0,
              callbacks=[callbacks.TensorBoard(str(tmp_path), update_freq=6)])
    (path,) = glob.glob(str(tmp_path / 'events.out.tfevents.*'))
    # samples seen 4, 8 (>= 6: written), 10; then the epoch's logs at 10
    assert [(step, tag) for step, tag, _ in summaries(path)] == [(8, 'loss'), (10, 'loss')]
    with pytest.raises(ValueError, match='validation_data must be provided'):
        model.fit(x, y, epochs=1, verbose=0,
                  callbacks=[callbacks.TensorBoard(str(tmp_path), histogram_freq=1)])
    with pytest.raises(ValueError, match='not supported.*write_images=True'):
        callbacks.TensorBoard(write_images=True)
    with pytest.raises(ValueError, match='update_freq'):
        callbacks.TensorBoard(update_freq='sometimes')
