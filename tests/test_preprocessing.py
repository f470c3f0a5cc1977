"""gkeras.preprocessing.sequence and .text against Keras 2.2.5's own results
(tests/fixtures/preprocessing_reference.json, tools/make_preprocessing_fixtures.py): the same
calls evaluated here with gkeras' modules must give the same values, dtypes and random draws."""
import json
import math
import os
import random

import numpy as np
import pytest

from gkeras.layers import Dense, Flatten
from gkeras.models import Sequential
from gkeras.preprocessing import sequence, text

with open(os.path.join(os.path.dirname(__file__), 'fixtures',
                       'preprocessing_reference.json')) as _f:
    REFERENCE = json.load(_f)
NAMES = {'np': np, 'sequence': sequence, 'text': text}


def plain(value):
    """The fixture's JSON form of a result (see the generator's `plain`)."""
    if isinstance(value, np.ndarray):
        return {'array': value.tolist(), 'dtype': str(value.dtype)}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


@pytest.mark.parametrize('name', sorted(REFERENCE['cases']))
def test_functions_match_keras(name):
    case = REFERENCE['cases'][name]
    random.seed(case['seed'])
    got = plain(eval(case['call'], NAMES))
    assert_same(json.loads(json.dumps(got)), case['result'])


def assert_same(got, expected, where='result'):
    """Equal structure, integers and strings; floats to 1e-12 relative (NumPy's log and sqrt
    differ in the last bit between versions and CPUs: make_sampling_table)."""
    if isinstance(expected, float) and isinstance(got, float):
        assert math.isclose(got, expected, rel_tol=1e-12), f'{where}: {got!r} != {expected!r}'
    elif isinstance(expected, list) and isinstance(got, list):
        assert len(got) == len(expected), f'{where}: length {len(got)} != {len(expected)}'
        for i, (a, b) in enumerate(zip(got, expected)):
            assert_same(a, b, f'{where}[{i}]')
    elif isinstance(expected, dict) and isinstance(got, dict):
        assert got.keys() == expected.keys(), f'{where}: keys differ'
        for key in expected:
            assert_same(got[key], expected[key], f'{where}[{key!r}]')
    else:
        assert got == expected and type(got) is type(expected), \
            f'{where}: {got!r} != {expected!r}'


def config_of(tokenizer_json):
    outer = json.loads(tokenizer_json)
    config = outer['config']
    for key in ('word_counts', 'word_docs', 'index_docs', 'index_word', 'word_index'):
        config[key] = json.loads(config[key])
    return outer


@pytest.mark.parametrize('name', sorted(REFERENCE['tokenizers']))
def test_tokenizer_matches_keras(name):
    record = REFERENCE['tokenizers'][name]
    tokenizer = eval(record['call'], NAMES)
    tokenizer.fit_on_texts(REFERENCE['texts'])
    assert tokenizer.word_index == record['word_index']
    assert [list(item) for item in tokenizer.word_counts.items()] == record['word_counts']
    assert dict(tokenizer.word_docs) == record['word_docs']
    assert {str(k): v for k, v in tokenizer.index_docs.items()} == record['index_docs']
    sequences = tokenizer.texts_to_sequences(REFERENCE['new_texts'])
    assert sequences == record['sequences']
    assert tokenizer.texts_to_sequences(REFERENCE['texts']) == record['fit_sequences']
    assert tokenizer.sequences_to_texts(sequences + [[1, 2, 99]]) == record['texts']
    for mode in ('binary', 'count', 'freq', 'tfidf'):
        np.testing.assert_allclose(tokenizer.texts_to_matrix(REFERENCE['new_texts'], mode=mode),
                                   record['matrix_' + mode], rtol=1e-12)
    # the JSON both ways: Keras' file read here, and ours describing the same state (the
    # counts' own JSON compared as dicts: their order follows Python's string hashing)
    assert config_of(tokenizer.to_json()) == config_of(record['json'])
    restored = text.tokenizer_from_json(record['json'])
    assert restored.texts_to_sequences(REFERENCE['new_texts']) == record['sequences']
    np.testing.assert_allclose(restored.texts_to_matrix(REFERENCE['new_texts'], mode='tfidf'),
                               record['matrix_tfidf'], rtol=1e-12)


def test_tokenizer_details():
    tokenizer = text.Tokenizer(analyzer=lambda s: s.split('|'))
    tokenizer.fit_on_texts(['a|b|a', 'b|c'])
    assert tokenizer.word_index == {'a': 1, 'b': 2, 'c': 3}
    assert tokenizer.texts_to_sequences(['c|a|zz']) == [[3, 1]]
    with pytest.warns(UserWarning, match='renamed `num_words`'):
        assert text.Tokenizer(nb_words=3).num_words == 3
    with pytest.raises(TypeError, match='Unrecognized keyword arguments'):
        text.Tokenizer(words=3)
    with pytest.raises(ValueError, match='Specify a dimension'):
        text.Tokenizer().sequences_to_matrix([[1]])
    with pytest.raises(ValueError, match='before using tfidf'):
        text.Tokenizer(num_words=3).sequences_to_matrix([[1]], mode='tfidf')
    with pytest.raises(ValueError, match='Unknown vectorization mode'):
        text.Tokenizer(num_words=3).sequences_to_matrix([[1]], mode='bits')
    counted = text.Tokenizer(num_words=4)
    counted.fit_on_sequences([[1, 2, 2], [2, 3]])
    assert counted.document_count == 2 and dict(counted.index_docs) == {1: 1, 2: 2, 3: 1}
    # an md5 hash is the same in every process: its value, computed by hand
    import hashlib
    expected = [int(hashlib.md5(w.encode()).hexdigest(), 16) % 6 + 1 for w in ['z', 'y', 'x']]
    assert text.hashing_trick('x y z', 7, hash_function='md5',
                              analyzer=lambda s: s.split(' ')[::-1]) == expected
    assert all(1 <= i < 5 for i in text.one_hot('one two three two', 5))


def test_pad_sequences_errors():
    with pytest.raises(ValueError, match='must be iterable'):
        sequence.pad_sequences(5)
    with pytest.raises(ValueError, match='non-iterable'):
        sequence.pad_sequences([[1], 2])
    with pytest.raises(ValueError, match='Padding type "middle"'):
        sequence.pad_sequences([[1]], padding='middle')
    with pytest.raises(ValueError, match='Truncating type "both"'):
        sequence.pad_sequences([[1]], truncating='both')
    with pytest.raises(ValueError, match='dtype=object'):
        sequence.pad_sequences([['a']], value='x')
    with pytest.raises(ValueError, match='different from expected shape'):
        sequence.pad_sequences([[[1, 2]], [[1, 2, 3]]])
    with pytest.raises(ValueError, match='no sequences'):
        sequence.pad_sequences([])
    assert sequence.pad_sequences([], maxlen=3).shape == (0, 3)


@pytest.mark.parametrize('name', sorted(REFERENCE['series']))
def test_timeseries_generator_matches_keras(name):
    record = REFERENCE['series'][name]
    generator = eval(record['call'], NAMES)
    assert len(generator) == record['length']
    for index, batch in enumerate(record['batches']):
        np.random.seed(5 + index)
        assert plain(generator[index]) == batch
    restored = sequence.timeseries_generator_from_json(generator.to_json())
    assert restored.get_config() == generator.get_config()


def test_timeseries_generator_feeds_fit_generator():
    data = np.sin(np.arange(60, dtype='float32') / 5).reshape(30, 2)
    generator = sequence.TimeseriesGenerator(data, data[:, 0], length=4, batch_size=8)
    model = Sequential([Flatten(input_shape=(4, 2)), Dense(1)])
    model.compile('sgd', 'mse')
    history = model.fit_generator(generator, epochs=2, verbose=0)
    assert len(history.history['loss']) == 2
    x, y = generator[0]
    assert x.shape == (8, 4, 2)
    np.testing.assert_array_equal(x[1], data[1:5])
    np.testing.assert_array_equal(y, data[4:12, 0])
    with pytest.raises(ValueError, match='same length'):
        sequence.TimeseriesGenerator(data, data[:5], length=2)
    with pytest.raises(ValueError, match='is disallowed'):
        sequence.TimeseriesGenerator(data, data, length=40)
