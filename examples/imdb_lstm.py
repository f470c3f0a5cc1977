"""Trains an LSTM on a sentiment classification task (the Keras 2 imdb_lstm example, on gkeras).

The IMDB reviews are not bundled with gkeras, so this version makes synthetic "reviews": lists of
word indices where some words are positive, some negative and the rest neutral, labelled by
which kind is more frequent. They are padded and cut to `maxlen` words as
`keras.preprocessing.sequence.pad_sequences` does, and fed to the original network.

    python3 examples/imdb_lstm.py [--epochs 15] [--batch-size 32] [--samples 2000]
                                  [--max-features 20000] [--maxlen 80] [--units 128]
"""
import argparse

import numpy as np

from gkeras.layers import LSTM, Dense, Embedding
from gkeras.models import Sequential


def synthetic_reviews(samples, max_features, seed=0):
    """(reviews, labels) like imdb.load_data()'s: lists of word indices (1 = start of review,
    the sentiment words are 2..21 positive and 22..41 negative) and 0/1 labels."""
    rng = np.random.default_rng(seed)
    reviews, labels = [], []
    for _ in range(samples):
        length = int(rng.integers(20, 160))
        words = rng.integers(42, max_features, length)
        label = int(rng.integers(0, 2))
        strong, weak = rng.integers(3, 8), rng.integers(0, 3)
        places = rng.choice(length, strong + weak, replace=False)
        words[places[:strong]] = rng.integers(2, 22, strong) + (0 if label else 20)
        words[places[strong:]] = rng.integers(2, 22, weak) + (20 if label else 0)
        reviews.append([1] + words.tolist())
        labels.append(label)
    return reviews, np.array(labels)


def pad_sequences(sequences, maxlen):
    """Keras' pad_sequences defaults: zeros in front, long sequences lose their beginning."""
    out = np.zeros((len(sequences), maxlen), dtype='int32')
    for i, sequence in enumerate(sequences):
        kept = sequence[-maxlen:]
        out[i, maxlen - len(kept):] = kept
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--epochs', type=int, default=15)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--samples', type=int, default=2000, help='training reviews to make')
    parser.add_argument('--max-features', type=int, default=20000)
    parser.add_argument('--maxlen', type=int, default=80,
                        help='cut texts after this number of words')
    parser.add_argument('--units', type=int, default=128)
    args = parser.parse_args(argv)

    print('Loading data...')
    x_train, y_train = synthetic_reviews(args.samples, args.max_features, seed=1)
    x_test, y_test = synthetic_reviews(max(args.samples // 4, 8), args.max_features, seed=2)
    print(len(x_train), 'train sequences')
    print(len(x_test), 'test sequences')

    print('Pad sequences (samples x time)')
    x_train = pad_sequences(x_train, maxlen=args.maxlen)
    x_test = pad_sequences(x_test, maxlen=args.maxlen)
    print('x_train shape:', x_train.shape)
    print('x_test shape:', x_test.shape)

    print('Build model...')
    model = Sequential()
    model.add(Embedding(args.max_features, args.units))
    model.add(LSTM(args.units, dropout=0.2, recurrent_dropout=0.2))
    model.add(Dense(1, activation='sigmoid'))

    # try using different optimizers and different optimizer configs
    model.compile(loss='binary_crossentropy',
                  optimizer='adam',
                  metrics=['accuracy'])

    print('Train...')
    history = model.fit(x_train, y_train,
                        batch_size=args.batch_size,
                        epochs=args.epochs,
                        validation_data=(x_test, y_test))
    score, acc = model.evaluate(x_test, y_test,
                                batch_size=args.batch_size)
    print('Test score:', score)
    print('Test accuracy:', acc)
    return history, (score, acc)


if __name__ == '__main__':
    main()
