"""TensorBoard event files, written without TensorFlow: scalars and histograms.

An event file is a sequence of TFRecords (length, masked CRC-32C of the length, the bytes, masked
CRC-32C of the bytes), each an `Event` protocol buffer: first one with the file version, then one
per summary (wall time, step, and a `Summary` of tagged values: a float or a `HistogramProto`).
The few protocol-buffer fields needed are encoded here by hand (tensorflow/core/util/event.proto,
tensorflow/core/framework/summary.proto); TensorBoard reads the files as TensorFlow's own.
"""
import os
import socket
import struct
import time

import numpy as np

_CRC_TABLE = []
for _byte in range(256):
    _crc = _byte
    for _ in range(8):
        _crc = (_crc >> 1) ^ 0x82F63B78 if _crc & 1 else _crc >> 1
    _CRC_TABLE.append(_crc)
del _byte, _crc


def crc32c(data):
    """CRC-32C (Castagnoli) of `data`, as TFRecords use."""
    crc = 0xFFFFFFFF
    table = _CRC_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def record(data):
    """One TFRecord holding `data`."""
    length = struct.pack('<Q', len(data))
    return (length + struct.pack('<I', masked_crc32c(length)) + data
            + struct.pack('<I', masked_crc32c(data)))


# ---------------------------------------------------------------------------------------------
# protocol-buffer encoding of the fields used

def _varint(value):
    out = bytearray()
    while True:
        bits = value & 0x7F
        value >>= 7
        if value:
            out.append(bits | 0x80)
        else:
            out.append(bits)
            return bytes(out)


def _key(field, wire_type):
    return _varint((field << 3) | wire_type)


def _double(field, value):
    return _key(field, 1) + struct.pack('<d', value)


def _float(field, value):
    return _key(field, 5) + struct.pack('<f', value)


def _int(field, value):
    return _key(field, 0) + _varint(value & 0xFFFFFFFFFFFFFFFF)


def _bytes(field, value):
    return _key(field, 2) + _varint(len(value)) + value


def _packed_doubles(field, values):
    return _bytes(field, struct.pack(f'<{len(values)}d', *values))


def scalar_value(tag, value):
    """A Summary.Value with a float."""
    return _bytes(1, tag.encode()) + _float(2, float(value))


def histogram_value(tag, values, buckets=30):
    """A Summary.Value with a HistogramProto of `values`: `buckets` equal-width buckets between
    their minimum and maximum (TensorFlow 2's tf.summary.histogram buckets)."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    if high > low:
        counts, edges = np.histogram(values, bins=buckets, range=(low, high))
        limits = edges[1:]
    else:
        counts, limits = np.array([values.size]), np.array([high])
    histogram = (_double(1, low) + _double(2, high) + _double(3, float(values.size))
                 + _double(4, float(values.sum())) + _double(5, float(np.dot(values, values)))
                 + _packed_doubles(6, [float(v) for v in limits])
                 + _packed_doubles(7, [float(c) for c in counts]))
    return _bytes(1, tag.encode()) + _bytes(5, histogram)


def event(step, summary_values=(), file_version=None, wall_time=None):
    """An Event: the wall time, the step, and a file version or a Summary of the values."""
    data = _double(1, time.time() if wall_time is None else wall_time) + _int(2, step)
    if file_version is not None:
        data += _bytes(3, file_version.encode())
    if summary_values:
        data += _bytes(5, b''.join(_bytes(1, value) for value in summary_values))
    return data


class EventFileWriter:
    """Appends events to a new file `events.out.tfevents.<time>.<host>` in `log_dir`."""

    def __init__(self, log_dir):
        os.makedirs(log_dir, exist_ok=True)
        name = f'events.out.tfevents.{int(time.time())}.{socket.gethostname()}'
        self.path = os.path.join(log_dir, name)
        self._file = open(self.path, 'ab')
        self._file.write(record(event(0, file_version='brain.Event:2')))
        self._file.flush()

    def add_values(self, step, values):
        """One event of summary values (scalar_value / histogram_value) at `step`."""
        if values:
            self._file.write(record(event(step, values)))

    def flush(self):
        self._file.flush()

    def close(self):
        if not self._file.closed:
            self._file.close()
