"""Keras 2's sequence preprocessing: pad_sequences, skipgrams, make_sampling_table and
TimeseriesGenerator, with keras_preprocessing 1.1's semantics (what Keras 2.2.5 imports and
tf_keras 2.21 still ships), random draws included."""
import json
import random

import numpy as np

from ..utils.data_utils import Sequence


def pad_sequences(sequences, maxlen=None, dtype='int32', padding='pre', truncating='pre',
                  value=0.):
    """A (len(sequences), maxlen, ...) array of the sequences, padded with `value` and cut to
    maxlen (the longest one's length by default) at their start ('pre') or end ('post')."""
    if not hasattr(sequences, '__len__'):
        raise ValueError('`sequences` must be iterable.')
    if padding not in ('pre', 'post'):
        raise ValueError(f'Padding type "{padding}" not understood')
    if truncating not in ('pre', 'post'):
        raise ValueError(f'Truncating type "{truncating}" not understood')
    lengths, sample_shape = [], None
    for x in sequences:
        try:
            lengths.append(len(x))
        except TypeError as error:
            raise ValueError('`sequences` must be a list of iterables. Found non-iterable: '
                             f'{x}') from error
        if sample_shape is None and len(x):
            sample_shape = np.asarray(x).shape[1:]
    sample_shape = sample_shape or ()
    if maxlen is None:
        if not lengths:
            raise ValueError('pad_sequences: no sequences and no `maxlen` to size the output.')
        maxlen = max(lengths)
    is_text = np.issubdtype(dtype, np.str_)
    if isinstance(value, str) and dtype != object and not is_text:
        raise ValueError(f"`dtype` {dtype} is not compatible with `value`'s type: "
                         f"{type(value)}\nYou should set `dtype=object` for variable length "
                         "strings.")
    x = np.full((len(lengths), maxlen) + sample_shape, value, dtype=dtype)
    for index, s in enumerate(sequences):
        if not len(s):
            continue
        kept = s[-maxlen:] if truncating == 'pre' else s[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != sample_shape:
            raise ValueError(f'Shape of sample {kept.shape[1:]} of sequence at position {index} '
                             f'is different from expected shape {sample_shape}')
        if padding == 'post':
            x[index, :len(kept)] = kept
        else:
            x[index, -len(kept):] = kept
    return x


def make_sampling_table(size, sampling_factor=1e-5):
    """word2vec's probability of keeping the word of each frequency rank (Zipf's law)."""
    gamma = 0.577
    rank = np.arange(size)
    rank[0] = 1
    inv_fq = rank * (np.log(rank) + gamma) + 0.5 - 1. / (12. * rank)
    f = sampling_factor * inv_fq
    return np.minimum(1., f / np.sqrt(f))


def skipgrams(sequence, vocabulary_size, window_size=4, negative_samples=1., shuffle=True,
              categorical=False, sampling_table=None, seed=None):
    """(couples, labels): each word with the words of its window (label 1) and with random
    words (label 0), drawn from Python's `random` as Keras does. Index 0 is skipped."""
    couples, labels = [], []
    for i, wi in enumerate(sequence):
        if not wi:
            continue
        if sampling_table is not None and sampling_table[wi] < random.random():
            continue
        for j in range(max(0, i - window_size), min(len(sequence), i + window_size + 1)):
            if j != i and sequence[j]:
                couples.append([wi, sequence[j]])
                labels.append([0, 1] if categorical else 1)
    if negative_samples > 0:
        count = int(len(labels) * negative_samples)
        words = [c[0] for c in couples]
        random.shuffle(words)
        couples += [[words[i % len(words)], random.randint(1, int(vocabulary_size - 1))]
                    for i in range(count)]
        labels += ([[1, 0]] if categorical else [0]) * count
    if shuffle:
        if seed is None:
            seed = random.randint(0, int(10e6))
        random.seed(seed)
        random.shuffle(couples)
        random.seed(seed)
        random.shuffle(labels)
    return couples, labels


def _remove_long_seq(maxlen, seq, label):
    """The sequences (and their labels) no longer than maxlen - 1 (as Keras' datasets use)."""
    new_seq, new_label = [], []
    for x, y in zip(seq, label):
        if len(x) < maxlen:
            new_seq.append(x)
            new_label.append(y)
    return new_seq, new_label


class TimeseriesGenerator(Sequence):
    """Batches of windows of `length` steps (every `sampling_rate`-th) ending before each
    target, targets `stride` apart from start_index + length to end_index."""

    def __init__(self, data, targets, length, sampling_rate=1, stride=1, start_index=0,
                 end_index=None, shuffle=False, reverse=False, batch_size=128):
        if len(data) != len(targets):
            raise ValueError(f'Data and targets have to be of same length. Data length is '
                             f'{len(data)} while target length is {len(targets)}')
        self.data = data
        self.targets = targets
        self.length = length
        self.sampling_rate = sampling_rate
        self.stride = stride
        self.start_index = start_index + length
        self.end_index = len(data) - 1 if end_index is None else end_index
        self.shuffle = shuffle
        self.reverse = reverse
        self.batch_size = batch_size
        if self.start_index > self.end_index:
            raise ValueError('`start_index+length=%i > end_index=%i` is disallowed, as no part '
                             'of the sequence would be left to be used as current step.'
                             % (self.start_index, self.end_index))

    def __len__(self):
        return ((self.end_index - self.start_index + self.batch_size * self.stride)
                // (self.batch_size * self.stride))

    def __getitem__(self, index):
        if self.shuffle:
            rows = np.random.randint(self.start_index, self.end_index + 1, size=self.batch_size)
        else:
            i = self.start_index + self.batch_size * self.stride * index
            rows = np.arange(i, min(i + self.batch_size * self.stride, self.end_index + 1),
                             self.stride)
        samples = np.array([self.data[row - self.length:row:self.sampling_rate]
                            for row in rows])
        targets = np.array([self.targets[row] for row in rows])
        if self.reverse:
            return samples[:, ::-1, ...], targets
        return samples, targets

    def get_config(self):
        """The generator's arguments, data and targets as JSON strings."""
        def as_json(values, what):
            if type(values).__module__ == np.__name__:
                values = values.tolist()
            try:
                return json.dumps(values)
            except TypeError as error:
                raise TypeError(f'{what} not JSON Serializable:', values) from error
        return {'data': as_json(self.data, 'Data'),
                'targets': as_json(self.targets, 'Targets'),
                'length': self.length, 'sampling_rate': self.sampling_rate,
                'stride': self.stride, 'start_index': self.start_index,
                'end_index': self.end_index, 'shuffle': self.shuffle, 'reverse': self.reverse,
                'batch_size': self.batch_size}

    def to_json(self, **kwargs):
        return json.dumps({'class_name': type(self).__name__, 'config': self.get_config()},
                          **kwargs)


def timeseries_generator_from_json(json_string):
    """The TimeseriesGenerator that to_json described."""
    config = json.loads(json_string).get('config')
    config['data'] = json.loads(config.pop('data'))
    config['targets'] = json.loads(config.pop('targets'))
    # to_json writes start_index + length, as Keras does
    config['start_index'] -= config['length']
    return TimeseriesGenerator(**config)
