"""The antirectifier: a custom layer in place of ReLU (the Keras 2 antirectifier example).

The antirectifier returns the concatenation of the positive and the negative part of the
centred, L2-normalized input: twice the features, and no information thrown away. The original
trains on MNIST; this version trains on the 8x8 digits bundled with gkeras. It shows how to write
a layer: `compute_output_shape` and `call` with backend functions; the gradient comes from
gkeras' autodiff.

    python3 examples/antirectifier.py [--epochs 40] [--batch-size 128] [--samples N]
"""
import argparse

from gkeras import backend as K
from gkeras import layers
from gkeras.datasets import digits
from gkeras.models import Sequential
from gkeras.utils import to_categorical


class Antirectifier(layers.Layer):
    """The concatenation of the positive part and the negative part of the centred, normalized
    input (samples, n) -> (samples, 2 * n): no activation is zero for all samples."""

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        assert len(shape) == 2  # only valid for 2D tensors
        shape[-1] *= 2
        return tuple(shape)

    def call(self, inputs):
        inputs -= K.mean(inputs, axis=1, keepdims=True)
        inputs = K.l2_normalize(inputs, axis=1)
        pos = K.relu(inputs)
        neg = K.relu(-inputs)
        return K.concatenate([pos, neg], axis=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--epochs', type=int, default=40)
    parser.add_argument('--batch-size', type=int, default=128)
    parser.add_argument('--samples', type=int, default=None,
                        help='train on the first N samples only')
    args = parser.parse_args(argv)
    num_classes = 10

    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train, y_train = x_train[:args.samples], y_train[:args.samples]
    x_train = x_train.reshape(-1, 64).astype('float32') / 16
    x_test = x_test.reshape(-1, 64).astype('float32') / 16
    print(x_train.shape[0], 'train samples')
    print(x_test.shape[0], 'test samples')

    # convert class vectors to binary class matrices
    y_train = to_categorical(y_train, num_classes)
    y_test = to_categorical(y_test, num_classes)

    # build the model
    model = Sequential()
    model.add(layers.Dense(256, input_shape=(64,)))
    model.add(Antirectifier())
    model.add(layers.Dropout(0.1))
    model.add(layers.Dense(256))
    model.add(Antirectifier())
    model.add(layers.Dropout(0.1))
    model.add(layers.Dense(num_classes))
    model.add(layers.Activation('softmax'))

    # compile the model
    model.compile(loss='categorical_crossentropy',
                  optimizer='rmsprop',
                  metrics=['accuracy'])

    # train the model
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
