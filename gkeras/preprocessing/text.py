"""Keras 2's text preprocessing: text_to_word_sequence, one_hot, hashing_trick, Tokenizer and
tokenizer_from_json, with keras_preprocessing 1.1's semantics (what Keras 2.2.5 imports and
tf_keras 2.21 still ships)."""
import collections
import hashlib
import json
import warnings

import numpy as np

FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def text_to_word_sequence(text, filters=FILTERS, lower=True, split=' '):
    """The words of text: lowercased (lower), each filter character turned into `split`, split
    on it, empty pieces dropped."""
    if lower:
        text = text.lower()
    text = text.translate(str.maketrans({c: split for c in filters}))
    return [word for word in text.split(split) if word]


def one_hot(text, n, filters=FILTERS, lower=True, split=' ', analyzer=None):
    """hashing_trick with Python's hash (which differs between processes unless
    PYTHONHASHSEED is set, as in Keras)."""
    return hashing_trick(text, n, hash_function=hash, filters=filters, lower=lower, split=split,
                         analyzer=analyzer)


def hashing_trick(text, n, hash_function=None, filters=FILTERS, lower=True, split=' ',
                  analyzer=None):
    """Each word of text as hash_function(word) % (n - 1) + 1 (None: Python's hash; 'md5': the
    word's MD5 digest as an integer)."""
    if hash_function is None:
        hash_function = hash
    elif hash_function == 'md5':
        def hash_function(word):
            return int(hashlib.md5(word.encode()).hexdigest(), 16)
    words = (text_to_word_sequence(text, filters=filters, lower=lower, split=split)
             if analyzer is None else analyzer(text))
    return [hash_function(word) % (n - 1) + 1 for word in words]


class Tokenizer:
    """Indexes words by how often fit_on_texts saw them (1 = the most frequent; oov_token, when
    given, takes 1), and turns texts into index sequences or matrices. With num_words, only
    indices below it are used."""

    def __init__(self, num_words=None, filters=FILTERS, lower=True, split=' ', char_level=False,
                 oov_token=None, analyzer=None, **kwargs):
        if 'nb_words' in kwargs:
            warnings.warn('The `nb_words` argument in `Tokenizer` has been renamed `num_words`.')
            num_words = kwargs.pop('nb_words')
        document_count = kwargs.pop('document_count', 0)
        if kwargs:
            raise TypeError('Unrecognized keyword arguments: ' + str(kwargs))
        self.word_counts = collections.OrderedDict()
        self.word_docs = collections.defaultdict(int)
        self.filters = filters
        self.split = split
        self.lower = lower
        self.num_words = num_words
        self.document_count = document_count
        self.char_level = char_level
        self.oov_token = oov_token
        self.index_docs = collections.defaultdict(int)
        self.word_index = {}
        self.index_word = {}
        self.analyzer = analyzer

    def _words(self, text):
        if self.char_level or isinstance(text, list):
            if self.lower:
                text = ([item.lower() for item in text] if isinstance(text, list)
                        else text.lower())
            return text
        if self.analyzer is None:
            return text_to_word_sequence(text, filters=self.filters, lower=self.lower,
                                         split=self.split)
        return self.analyzer(text)

    def fit_on_texts(self, texts):
        """Count the words of texts (strings, or lists of words) and rebuild the index."""
        for text in texts:
            self.document_count += 1
            words = self._words(text)
            for word in words:
                self.word_counts[word] = self.word_counts.get(word, 0) + 1
            for word in set(words):
                self.word_docs[word] += 1
        counts = sorted(self.word_counts.items(), key=lambda item: item[1], reverse=True)
        vocabulary = [] if self.oov_token is None else [self.oov_token]
        vocabulary.extend(word for word, _ in counts)
        self.word_index = dict(zip(vocabulary, range(1, len(vocabulary) + 1)))
        self.index_word = {index: word for word, index in self.word_index.items()}
        for word, count in list(self.word_docs.items()):
            self.index_docs[self.word_index[word]] = count

    def fit_on_sequences(self, sequences):
        """Count, for tf-idf, the documents each index appears in."""
        self.document_count += len(sequences)
        for seq in sequences:
            for index in set(seq):
                self.index_docs[index] += 1

    def texts_to_sequences(self, texts):
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts):
        """Each text's word indices (words not indexed, or at num_words or above: the oov
        token's index if there is one, else dropped)."""
        oov = self.word_index.get(self.oov_token)
        for text in texts:
            indices = []
            for word in self._words(text):
                index = self.word_index.get(word)
                if index is None or (self.num_words and index >= self.num_words):
                    if oov is not None:
                        indices.append(oov)
                else:
                    indices.append(index)
            yield indices

    def sequences_to_texts(self, sequences):
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences):
        """Each sequence's words joined by spaces (unknown indices as texts_to_sequences
        treats unknown words)."""
        oov = self.word_index.get(self.oov_token)
        for seq in sequences:
            words = []
            for index in seq:
                word = self.index_word.get(index)
                if word is None or (self.num_words and index >= self.num_words):
                    if oov is not None:
                        words.append(self.index_word[oov])
                else:
                    words.append(word)
            yield ' '.join(words)

    def texts_to_matrix(self, texts, mode='binary'):
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode='binary'):
        """A (len(sequences), num_words) matrix: 'binary' presence, 'count', 'freq' (count /
        length) or 'tfidf' ((1 + log count) * log(1 + documents / (1 + documents with it)))."""
        if self.num_words:
            num_words = self.num_words
        elif self.word_index:
            num_words = len(self.word_index) + 1
        else:
            raise ValueError('Specify a dimension (`num_words` argument), or fit on some text '
                             'data first.')
        if mode == 'tfidf' and not self.document_count:
            raise ValueError('Fit the Tokenizer on some data before using tfidf mode.')
        if mode not in ('binary', 'count', 'freq', 'tfidf'):
            raise ValueError('Unknown vectorization mode:', mode)
        x = np.zeros((len(sequences), num_words))
        for i, seq in enumerate(sequences):
            if not seq:
                continue
            counts = collections.defaultdict(int)
            for j in seq:
                if j < num_words:
                    counts[j] += 1
            for j, c in list(counts.items()):
                if mode == 'count':
                    x[i][j] = c
                elif mode == 'freq':
                    x[i][j] = c / len(seq)
                elif mode == 'binary':
                    x[i][j] = 1
                else:
                    idf = np.log(1 + self.document_count / (1 + self.index_docs.get(j, 0)))
                    x[i][j] = (1 + np.log(c)) * idf
        return x

    def get_config(self):
        return {'num_words': self.num_words, 'filters': self.filters, 'lower': self.lower,
                'split': self.split, 'char_level': self.char_level,
                'oov_token': self.oov_token, 'document_count': self.document_count,
                'word_counts': json.dumps(self.word_counts),
                'word_docs': json.dumps(self.word_docs),
                'index_docs': json.dumps(self.index_docs),
                'index_word': json.dumps(self.index_word),
                'word_index': json.dumps(self.word_index)}

    def to_json(self, **kwargs):
        return json.dumps({'class_name': type(self).__name__, 'config': self.get_config()},
                          **kwargs)


def tokenizer_from_json(json_string):
    """The Tokenizer that to_json described."""
    config = json.loads(json_string).get('config')
    word_counts = json.loads(config.pop('word_counts'))
    word_docs = json.loads(config.pop('word_docs'))
    index_docs = {int(k): v for k, v in json.loads(config.pop('index_docs')).items()}
    index_word = {int(k): v for k, v in json.loads(config.pop('index_word')).items()}
    word_index = json.loads(config.pop('word_index'))
    tokenizer = Tokenizer(**config)
    tokenizer.word_counts = word_counts
    tokenizer.word_docs = word_docs
    tokenizer.index_docs = index_docs
    tokenizer.word_index = word_index
    tokenizer.index_word = index_word
    return tokenizer
