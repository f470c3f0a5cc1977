"""Trains a simple deep MLP on digits (the Keras 2 mnist_mlp example, on gkeras).

The original reads MNIST (28x28); this version reads the 8x8 digits bundled with gkeras, so it
runs offline. Keras 2 gets to 98.40% test accuracy on MNIST after 20 epochs; on the digits the
same network reaches about 97% in a few seconds on a CPU.

    python3 examples/mnist_mlp.py [--epochs 20] [--batch-size 128] [--samples N]
"""
import argparse

from gkeras.datasets import digits
from gkeras.layers import Dense, Dropout
from gkeras.models import Sequential
from gkeras.optimizers import RMSprop
from gkeras.utils import to_categorical


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--epochs', type=int, default=20)
    parser.add_argument('--batch-size', type=int, default=128)
    parser.add_argument('--samples', type=int, default=None,
                        help='train on the first N samples only')
    args = parser.parse_args(argv)
    num_classes = 10

    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train, y_train = x_train[:args.samples], y_train[:args.samples]
    x_train = x_train.reshape(len(x_train), 64).astype('float32') / 16
    x_test = x_test.reshape(len(x_test), 64).astype('float32') / 16
    print(x_train.shape[0], 'train samples')
    print(x_test.shape[0], 'test samples')

    # convert class vectors to binary class matrices
    y_train = to_categorical(y_train, num_classes)
    y_test = to_categorical(y_test, num_classes)

    model = Sequential()
    model.add(Dense(512, activation='relu', input_shape=(64,)))
    model.add(Dropout(0.2))
    model.add(Dense(512, activation='relu'))
    model.add(Dropout(0.2))
    model.add(Dense(num_classes, activation='softmax'))

    model.summary()

    model.compile(loss='categorical_crossentropy',
                  optimizer=RMSprop(),
                  metrics=['accuracy'])

    history = model.fit(x_train, y_train,
                        batch_size=args.batch_size,
                        epochs=args.epochs,
                        verbose=1,
                        validation_data=(x_test, y_test))
    score = model.evaluate(x_test, y_test, verbose=0)
    print('Test loss:', score[0])
    print('Test accuracy:', score[1])
    return history, score


if __name__ == '__main__':
    main()
