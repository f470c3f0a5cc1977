"""The gkeras demo: train a Keras-2-style MLP (or CNN) on the bundled 8x8 digits, report accuracy.

    python3 -m gkeras.demo [--model mlp|cnn] [--epochs 30] [--batch-size 32]
                           [--backend auto|numpy|cupy]
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


def build_cnn():
    """The Keras 2 mnist_cnn example, sized for 8x8 digits."""
    from .layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D
    from .models import Sequential
    model = Sequential()
    model.add(Conv2D(32, (3, 3), padding='same', activation='relu', input_shape=(8, 8, 1)))
    model.add(Conv2D(32, (3, 3), activation='relu'))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(0.25))
    model.add(Flatten())
    model.add(Dense(128, activation='relu'))
    model.add(Dropout(0.5))
    model.add(Dense(10, activation='softmax'))
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--model', default='mlp', choices=['mlp', 'cnn'])
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
    shape = (64,) if args.model == 'mlp' else (8, 8, 1)
    x_train = x_train.reshape((len(x_train),) + shape).astype('float32') / 16
    x_test = x_test.reshape((len(x_test),) + shape).astype('float32') / 16
    y_train, y_test = to_categorical(y_train, 10), to_categorical(y_test, 10)
    print(f'{len(x_train)} training and {len(x_test)} test digits (8x8)')

    model = build_mlp() if args.model == 'mlp' else build_cnn()
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
