"""A multi-input, multi-output model (the Keras 2 functional API guide's example, on gkeras).

We predict how many retweets and likes a news headline will get: the main input is the headline
(a sequence of word indices) read by an Embedding and an LSTM; an auxiliary output on the LSTM
helps training; auxiliary input data (say, the hour of posting) joins the LSTM's output before
three dense layers and the main output. Both outputs use binary_crossentropy; the auxiliary loss
weighs 0.2. The data are synthetic; inputs and targets are passed as dicts keyed by layer name.

    python3 examples/functional_multi_input.py [--epochs 50] [--batch-size 32] [--samples 1000]
                                               [--seq-len 100] [--vocab 10000] [--embed-dim 512]
"""
import argparse

import numpy as np

from gkeras.layers import LSTM, Dense, Embedding, Input, concatenate
from gkeras.models import Model


def synthetic_headlines(samples, seq_len, vocab, seed=0):
    """headlines (n, seq_len) of word indices, additional data (n, 5) and 0/1 labels that
    depend on both: a headline is popular when it holds a 'hot' word (1..10) and the
    first additional feature is positive, or when it holds several hot words."""
    rng = np.random.default_rng(seed)
    headlines = rng.integers(11, vocab, (samples, seq_len))
    hot = rng.integers(0, 3, samples)
    for i, count in enumerate(hot):
        headlines[i, rng.choice(seq_len, count, replace=False)] = rng.integers(1, 11, count)
    additional = rng.standard_normal((samples, 5)).astype('float32')
    labels = ((hot >= 2) | ((hot == 1) & (additional[:, 0] > 0))).astype('float32')
    return headlines, additional, labels


def build_model(seq_len, vocab, embed_dim):
    # Headline input: meant to receive sequences of `seq_len` integers, between 1 and `vocab`.
    # Note that we can name any layer by passing it a "name" argument.
    main_input = Input(shape=(seq_len,), dtype='int32', name='main_input')

    # This embedding layer will encode the input sequence
    # into a sequence of dense `embed_dim`-dimensional vectors.
    x = Embedding(output_dim=embed_dim, input_dim=vocab, input_length=seq_len)(main_input)

    # A LSTM will transform the vector sequence into a single vector,
    # containing information about the entire sequence
    lstm_out = LSTM(32)(x)

    auxiliary_output = Dense(1, activation='sigmoid', name='aux_output')(lstm_out)

    auxiliary_input = Input(shape=(5,), name='aux_input')
    x = concatenate([lstm_out, auxiliary_input])

    # We stack a deep densely-connected network on top
    x = Dense(64, activation='relu')(x)
    x = Dense(64, activation='relu')(x)
    x = Dense(64, activation='relu')(x)

    # And finally we add the main logistic regression layer
    main_output = Dense(1, activation='sigmoid', name='main_output')(x)

    return Model(inputs=[main_input, auxiliary_input], outputs=[main_output, auxiliary_output])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--epochs', type=int, default=50)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--samples', type=int, default=1000)
    parser.add_argument('--seq-len', type=int, default=100)
    parser.add_argument('--vocab', type=int, default=10000)
    parser.add_argument('--embed-dim', type=int, default=512)
    args = parser.parse_args(argv)

    headline_data, additional_data, labels = synthetic_headlines(
        args.samples, args.seq_len, args.vocab, seed=1)
    model = build_model(args.seq_len, args.vocab, args.embed_dim)
    model.summary()

    model.compile(optimizer='rmsprop',
                  loss={'main_output': 'binary_crossentropy',
                        'aux_output': 'binary_crossentropy'},
                  loss_weights={'main_output': 1., 'aux_output': 0.2},
                  metrics=['accuracy'])

    # And trained it via:
    history = model.fit({'main_input': headline_data, 'aux_input': additional_data},
                        {'main_output': labels, 'aux_output': labels},
                        epochs=args.epochs, batch_size=args.batch_size, validation_split=0.2)

    test_headlines, test_additional, test_labels = synthetic_headlines(
        max(args.samples // 4, 8), args.seq_len, args.vocab, seed=2)
    scores = model.evaluate([test_headlines, test_additional], [test_labels, test_labels],
                            verbose=0)
    for name, value in zip(model.metrics_names, scores):
        print(f'Test {name}: {value:.4f}')
    return history, scores


if __name__ == '__main__':
    main()
