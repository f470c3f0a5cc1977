"""Trains a simple convnet on digits (the Keras 2 mnist_cnn example, on gkeras).

The original reads MNIST (28x28); this version reads the 8x8 digits bundled with gkeras, so it
runs offline, and with `--image-size 28` it trains on the digits scaled up to MNIST's shape.
The network is the original's: two 3x3 convolutions, max pooling, dropout, a dense layer.

    python3 examples/mnist_cnn.py [--epochs 12] [--batch-size 128] [--samples N]
                                  [--image-size 8|28]
"""
import argparse

import numpy as np

from gkeras import backend as K
from gkeras.datasets import digits
from gkeras.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from gkeras.models import Sequential
from gkeras.optimizers import Adadelta
from gkeras.utils import to_categorical


def upscale(images, size):
    """Nearest-neighbour resize of (n, 8, 8) images to (n, size, size)."""
    rows = np.arange(size) * images.shape[1] // size
    cols = np.arange(size) * images.shape[2] // size
    return images[:, rows][:, :, cols]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--epochs', type=int, default=12)
    parser.add_argument('--batch-size', type=int, default=128)
    parser.add_argument('--samples', type=int, default=None,
                        help='train on the first N samples only')
    parser.add_argument('--image-size', type=int, default=8, choices=[8, 28])
    args = parser.parse_args(argv)
    num_classes = 10
    img_rows = img_cols = args.image_size

    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train, y_train = x_train[:args.samples], y_train[:args.samples]
    x_train, x_test = upscale(x_train, img_rows), upscale(x_test, img_rows)

    if K.image_data_format() == 'channels_first':
        x_train = x_train.reshape(x_train.shape[0], 1, img_rows, img_cols)
        x_test = x_test.reshape(x_test.shape[0], 1, img_rows, img_cols)
        input_shape = (1, img_rows, img_cols)
    else:
        x_train = x_train.reshape(x_train.shape[0], img_rows, img_cols, 1)
        x_test = x_test.reshape(x_test.shape[0], img_rows, img_cols, 1)
        input_shape = (img_rows, img_cols, 1)

    x_train = x_train.astype('float32') / 16
    x_test = x_test.astype('float32') / 16
    print('x_train shape:', x_train.shape)
    print(x_train.shape[0], 'train samples')
    print(x_test.shape[0], 'test samples')

    # convert class vectors to binary class matrices
    y_train = to_categorical(y_train, num_classes)
    y_test = to_categorical(y_test, num_classes)

    model = Sequential()
    model.add(Conv2D(32, kernel_size=(3, 3),
                     activation='relu',
                     input_shape=input_shape))
    model.add(Conv2D(64, (3, 3), activation='relu'))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(0.25))
    model.add(Flatten())
    model.add(Dense(128, activation='relu'))
    model.add(Dropout(0.5))
    model.add(Dense(num_classes, activation='softmax'))

    model.compile(loss='categorical_crossentropy',
                  optimizer=Adadelta(),
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
