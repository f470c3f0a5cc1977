"""Trains a simple deep CNN on CIFAR-10-shaped images (the Keras 2 cifar10_cnn example, on gkeras).

CIFAR-10 is not bundled with gkeras, so this version makes synthetic 32x32 RGB images of ten
classes (each class a colour and a bright square at its own place, under noise), then trains the
original network with the original optimizer. With data augmentation (the default, as in the
original) batches come from a `Sequence` that shifts and flips images, read by worker threads
through fit_generator; the trained model is saved to --save-dir.

    python3 examples/cifar10_cnn.py [--epochs 100] [--batch-size 32] [--samples 5000]
                                    [--no-augmentation] [--workers 4] [--save-dir saved_models]
"""
import argparse
import os

import numpy as np

from gkeras.layers import Activation, Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from gkeras.models import Sequential
from gkeras.optimizers import RMSprop
from gkeras.utils import Sequence, to_categorical


def synthetic_cifar10(samples, seed=0):
    """(x, y) like cifar10.load_data()'s: uint8 images (n, 32, 32, 3) and labels (n, 1)."""
    colours = np.random.default_rng(10).uniform(40, 215, (10, 3))  # the same for every split
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, samples)
    images = rng.normal(0, 40, (samples, 32, 32, 3)) + colours[labels][:, None, None, :]
    for i, label in enumerate(labels):
        row, col = 4 + 6 * (label // 4), 4 + 6 * (label % 4)
        images[i, row:row + 8, col:col + 8] += 60
    return np.clip(images, 0, 255).astype('uint8'), labels[:, None]


class AugmentedBatches(Sequence):
    """Shuffled batches with random shifts (up to 10% of width and height) and horizontal flips,
    as the original's ImageDataGenerator(width_shift_range=0.1, height_shift_range=0.1,
    horizontal_flip=True).flow(x, y, batch_size) gives them."""

    def __init__(self, x, y, batch_size, seed=0):
        self.x, self.y, self.batch_size = x, y, batch_size
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(len(x))

    def __len__(self):
        return int(np.ceil(len(self.x) / self.batch_size))

    def __getitem__(self, index):
        rows = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        rng = np.random.default_rng((index, int(self.order[0])))
        batch = self.x[rows].copy()
        for image in batch:
            dy, dx = rng.integers(-3, 4, 2)
            image[:] = np.roll(image, (dy, dx), axis=(0, 1))
            if rng.random() < 0.5:
                image[:] = image[:, ::-1]
        return batch, self.y[rows]

    def on_epoch_end(self):
        self.order = self.rng.permutation(len(self.x))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--epochs', type=int, default=100)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--samples', type=int, default=5000, help='training images to make')
    parser.add_argument('--no-augmentation', dest='data_augmentation', action='store_false')
    parser.add_argument('--workers', type=int, default=4)
    parser.add_argument('--save-dir', default=os.path.join(os.getcwd(), 'saved_models'))
    args = parser.parse_args(argv)
    num_classes = 10
    model_name = 'gkeras_cifar10_trained_model.h5'

    # The data, split between train and test sets:
    x_train, y_train = synthetic_cifar10(args.samples, seed=1)
    x_test, y_test = synthetic_cifar10(max(args.samples // 5, 10), seed=2)
    print('x_train shape:', x_train.shape)
    print(x_train.shape[0], 'train samples')
    print(x_test.shape[0], 'test samples')

    # Convert class vectors to binary class matrices.
    y_train = to_categorical(y_train, num_classes)
    y_test = to_categorical(y_test, num_classes)

    model = Sequential()
    model.add(Conv2D(32, (3, 3), padding='same', input_shape=x_train.shape[1:]))
    model.add(Activation('relu'))
    model.add(Conv2D(32, (3, 3)))
    model.add(Activation('relu'))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(0.25))

    model.add(Conv2D(64, (3, 3), padding='same'))
    model.add(Activation('relu'))
    model.add(Conv2D(64, (3, 3)))
    model.add(Activation('relu'))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(0.25))

    model.add(Flatten())
    model.add(Dense(512))
    model.add(Activation('relu'))
    model.add(Dropout(0.5))
    model.add(Dense(num_classes))
    model.add(Activation('softmax'))

    # initiate RMSprop optimizer
    opt = RMSprop(lr=0.0001, decay=1e-6)

    # Let's train the model using RMSprop
    model.compile(loss='categorical_crossentropy',
                  optimizer=opt,
                  metrics=['accuracy'])

    x_train = x_train.astype('float32') / 255
    x_test = x_test.astype('float32') / 255

    if not args.data_augmentation:
        print('Not using data augmentation.')
        history = model.fit(x_train, y_train,
                            batch_size=args.batch_size,
                            epochs=args.epochs,
                            validation_data=(x_test, y_test),
                            shuffle=True)
    else:
        print('Using real-time data augmentation.')
        # Fit the model on the batches generated by the Sequence, read by worker threads.
        history = model.fit_generator(AugmentedBatches(x_train, y_train, args.batch_size),
                                      epochs=args.epochs,
                                      validation_data=(x_test, y_test),
                                      workers=args.workers)

    # Save model and weights
    if not os.path.isdir(args.save_dir):
        os.makedirs(args.save_dir)
    model_path = os.path.join(args.save_dir, model_name)
    model.save(model_path)
    print('Saved trained model at %s ' % model_path)

    # Score trained model.
    scores = model.evaluate(x_test, y_test, verbose=1)
    print('Test loss:', scores[0])
    print('Test accuracy:', scores[1])
    return history, scores


if __name__ == '__main__':
    main()
