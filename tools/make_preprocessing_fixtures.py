"""Write tests/fixtures/preprocessing_reference.json: keras.preprocessing.sequence and .text
as Keras 2.2.5 computes them (keras_preprocessing 1.1.2, the code tf_keras 2.21 still ships).

Run from the repository root with the Keras 2.2.5 interpreter (Python 3.7):

    /tmp/k22/bin/python tools/make_preprocessing_fixtures.py [output.json]

Every case is a call written as source text under `cases/<name>/call` (evaluated with the names
below, so tests/test_preprocessing.py can evaluate the same text with gkeras' modules) and its
result through JSON under `cases/<name>/result` (tuples and arrays become lists; an array also
records its dtype under `dtype`). Random cases seed Python's `random` (skipgrams) or NumPy's
global generator (TimeseriesGenerator(shuffle=True)) right before the call, with `seed`.
Kept to Python 3.7 syntax.
"""
import json
import os
import random
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras.preprocessing import sequence, text  # noqa: E402

assert keras.__version__ == '2.2.5', keras.__version__

TEXTS = ['The cat sat on the mat.', 'The dog ate my homework!', 'Dogs and cats, cats and dogs',
         'a cat; a DOG: the end']
NEW_TEXTS = ['the cat ate the unknown bird', 'dogs sat', '']
DATA = 'np.arange(50).reshape(25, 2)'

CASES = [
    ('words_default', "text.text_to_word_sequence('Hello, World!  Tabs\\tand\\nlines: OK?')"),
    ('words_no_lower', "text.text_to_word_sequence('Hello, World! Again', lower=False)"),
    ('words_split', "text.text_to_word_sequence('a-b c,d', filters=',', split='-')"),
    ('hashing_md5', "text.hashing_trick('the cat sat on the mat the end', 20, "
                    "hash_function='md5')"),
    ('pad_default', "sequence.pad_sequences([[1], [2, 3], [4, 5, 6]])"),
    ('pad_post', "sequence.pad_sequences([[1], [2, 3], [4, 5, 6]], padding='post', value=-1)"),
    ('pad_maxlen_pre', "sequence.pad_sequences([[1, 2, 3, 4], [5], []], maxlen=2)"),
    ('pad_maxlen_post', "sequence.pad_sequences([[1, 2, 3, 4], [5], []], maxlen=3, "
                        "truncating='post', padding='post')"),
    ('pad_float', "sequence.pad_sequences([[1.5, 2.5], [3.25]], dtype='float32', value=0.5)"),
    ('pad_vectors', "sequence.pad_sequences([[[1, 2], [3, 4]], [[5, 6]]], maxlen=3)"),
    ('pad_strings', "sequence.pad_sequences([['a', 'b'], ['c']], dtype=object, value='-')"),
    ('sampling_table', "sequence.make_sampling_table(10)"),
    ('sampling_table_factor', "sequence.make_sampling_table(6, sampling_factor=1e-2)"),
    ('skipgrams', "sequence.skipgrams([1, 2, 3, 0, 4, 5, 2], 6, window_size=2, seed=3)"),
    ('skipgrams_categorical', "sequence.skipgrams([3, 1, 4, 1, 5], 7, window_size=1, "
                              "negative_samples=2., categorical=True, shuffle=False)"),
    ('skipgrams_table', "sequence.skipgrams([1, 2, 3, 4, 5, 6], 8, window_size=1, "
                        "sampling_table=sequence.make_sampling_table(8, 0.05))"),
]

TOKENIZERS = {
    'plain': "text.Tokenizer()",
    'num_words': "text.Tokenizer(num_words=5)",
    'oov': "text.Tokenizer(num_words=6, oov_token='<unk>')",
    'char_level': "text.Tokenizer(char_level=True, lower=False)",
}

SERIES = {
    'series': "sequence.TimeseriesGenerator(" + DATA + ", np.arange(25), length=5, "
              "sampling_rate=2, stride=3, start_index=2, end_index=20, batch_size=4)",
    'series_reverse': "sequence.TimeseriesGenerator(" + DATA + ", np.arange(25) * 10, "
                      "length=3, reverse=True, batch_size=7)",
    'series_shuffle': "sequence.TimeseriesGenerator(" + DATA + ", np.arange(25), length=4, "
                      "shuffle=True, batch_size=5)",
}


def plain(value):
    """A JSON-ready copy: arrays to lists (with their dtype), tuples to lists."""
    if isinstance(value, np.ndarray):
        return {'array': value.tolist(), 'dtype': str(value.dtype)}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def main():
    names = {'np': np, 'sequence': sequence, 'text': text}
    out = {'meta': {'keras': keras.__version__, 'numpy': np.__version__}, 'cases': {},
           'tokenizers': {}, 'series': {},
           'texts': TEXTS, 'new_texts': NEW_TEXTS}
    for name, call in CASES:
        random.seed(11)
        out['cases'][name] = {'call': call, 'seed': 11, 'result': plain(eval(call, names))}
    for name, call in TOKENIZERS.items():
        tokenizer = eval(call, names)
        tokenizer.fit_on_texts(TEXTS)
        sequences = tokenizer.texts_to_sequences(NEW_TEXTS)
        record = {'call': call,
                  'word_index': tokenizer.word_index,
                  'word_counts': list(tokenizer.word_counts.items()),
                  'word_docs': dict(tokenizer.word_docs),
                  'index_docs': {str(k): v for k, v in tokenizer.index_docs.items()},
                  'sequences': sequences,
                  'fit_sequences': tokenizer.texts_to_sequences(TEXTS),
                  'texts': tokenizer.sequences_to_texts(sequences + [[1, 2, 99]]),
                  'json': tokenizer.to_json()}
        for mode in ('binary', 'count', 'freq', 'tfidf'):
            record['matrix_' + mode] = tokenizer.texts_to_matrix(NEW_TEXTS, mode=mode).tolist()
        out['tokenizers'][name] = record
    for name, call in SERIES.items():
        generator = eval(call, names)
        batches = []
        for index in range(len(generator)):
            np.random.seed(5 + index)
            batches.append(plain(generator[index]))
        out['series'][name] = {'call': call, 'length': len(generator), 'batches': batches,
                               'seeds': 'np.random.seed(5 + index) before each batch'}
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), os.pardir, 'tests', 'fixtures',
        'preprocessing_reference.json')
    with open(path, 'w') as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write('\n')
    print('wrote', path)


if __name__ == '__main__':
    main()
