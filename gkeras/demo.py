"""The gkeras demo: train a Keras-2-style MLP on the bundled 8x8 digits and report test accuracy.

    python3 -m gkeras.demo [--epochs 30] [--batch-size 32] [--backend auto|numpy|cupy]
"""
import argparse
import time

from . import backend as K


def build_mlp():
    from .layers import Dense, Dropout
    from .models import Sequential
    model = Sequential()
    model.add(Dense(128, activation='relu', input_shape=(64,)))
    model.add(Dropout(0.2))
    model.add(Dense(128, activation='relu'))
    model.add(Dropout(0.2))
    model.add(Dense(10, activation='softmax'))
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--epochs', type=int, default=30)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--backend', default=None, choices=['auto', 'numpy', 'cupy'],
                        help='array backend (default: GKERAS_BACKEND, else auto)')
    args = parser.parse_args(argv)
    if args.backend:
        K.set_backend(args.backend)
    backend = K.active()

    from .datasets import digits
    from .optimizers import RMSprop
    from .utils import to_categorical

    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train = x_train.reshape(len(x_train), 64).astype('float32') / 16
    x_test = x_test.reshape(len(x_test), 64).astype('float32') / 16
    y_train, y_test = to_categorical(y_train, 10), to_categorical(y_test, 10)
    print(f'{len(x_train)} training and {len(x_test)} test digits (8x8)')

    model = build_mlp()
    model.summary()
    model.compile(loss='categorical_crossentropy', optimizer=RMSprop(), metrics=['accuracy'])
    start = time.time()
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, verbose=1,
              validation_data=(x_test, y_test))
    seconds = time.time() - start
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f'Test loss: {loss:.4f}')
    print(f'Test accuracy: {accuracy:.4f}')
    print(f'Backend: {backend.name} ({backend.describe()}); training took {seconds:.1f}s')
    return accuracy


if __name__ == '__main__':
    main()
