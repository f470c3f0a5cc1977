"""VGG16 model for Keras.

# Reference

- [Very Deep Convolutional Networks for Large-Scale Image Recognition](
    https://arxiv.org/abs/1409.1556) (ICLR 2015)

Ported from keras_applications 1.0.8 (the version Keras 2.2.5 uses), MIT License, copyright
(c) 2016 - 2018 the respective contributors; the notice is in gkeras/applications/__init__.py.
Same layers, names, order and weight files as Keras 2.2.5.
"""

from . import imagenet_utils
from .imagenet_utils import decode_predictions
from . import _model_utils
from .. import layers

preprocess_input = imagenet_utils.preprocess_input

WEIGHTS_PATH = ('https://github.com/fchollet/deep-learning-models/'
                'releases/download/v0.1/'
                'vgg16_weights_tf_dim_ordering_tf_kernels.h5')
WEIGHTS_PATH_NO_TOP = ('https://github.com/fchollet/deep-learning-models/'
                       'releases/download/v0.1/'
                       'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5')

# get_file's arguments for Keras' ImageNet weights, with the top and without.
WEIGHTS_FILE = dict(fname='vgg16_weights_tf_dim_ordering_tf_kernels.h5',
                    origin=WEIGHTS_PATH,
                    file_hash='64373286793e3c8b2b4e3219cbf3544b')
WEIGHTS_FILE_NO_TOP = dict(fname='vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5',
                           origin=WEIGHTS_PATH_NO_TOP,
                           file_hash='6d6bbae143d832006294945121d1f1fc')


def VGG16(include_top=True,
          weights='imagenet',
          input_tensor=None,
          input_shape=None,
          pooling=None,
          classes=1000):
    """Instantiates the VGG16 architecture.

    Optionally loads weights pre-trained on ImageNet.
    Note that the data format convention used by the model is
    the one specified in your Keras config at `~/.keras/keras.json`.

    # Arguments
        include_top: whether to include the 3 fully-connected
            layers at the top of the network.
        weights: one of `None` (random initialization),
              'imagenet' (pre-training on ImageNet),
              or the path to the weights file to be loaded.
        input_tensor: optional Keras tensor
            (i.e. output of `layers.Input()`)
            to use as image input for the model.
        input_shape: optional shape tuple, only to be specified
            if `include_top` is False (otherwise the input shape
            has to be `(224, 224, 3)`
            (with `channels_last` data format)
            or `(3, 224, 224)` (with `channels_first` data format).
            It should have exactly 3 input channels,
            and width and height should be no smaller than 32.
            E.g. `(200, 200, 3)` would be one valid value.
        pooling: Optional pooling mode for feature extraction
            when `include_top` is `False`.
            - `None` means that the output of the model will be
                the 4D tensor output of the
                last convolutional block.
            - `avg` means that global average pooling
                will be applied to the output of the
                last convolutional block, and thus
                the output of the model will be a 2D tensor.
            - `max` means that global max pooling will
                be applied.
        classes: optional number of classes to classify images
            into, only to be specified if `include_top` is True, and
            if no `weights` argument is specified.

    # Returns
        A Keras model instance.

    # Raises
        ValueError: in case of invalid argument for `weights`,
            or invalid input shape.
    """

    return build_vgg('vgg16', (2, 2, 3, 3, 3), (WEIGHTS_FILE, WEIGHTS_FILE_NO_TOP),
                     include_top, weights, input_tensor, input_shape, pooling, classes)


def build_vgg(name, convolutions, weight_files, include_top, weights, input_tensor,
              input_shape, pooling, classes):
    """The VGG network `name` with convolutions[b] 3x3 convolutions in block b + 1 (VGG16:
    2, 2, 3, 3, 3; VGG19: 2, 2, 4, 4, 4), Keras' layer names, and its weight files (with the
    top, without)."""
    x = img_input = _model_utils.model_input(weights, include_top, classes, input_tensor,
                                             input_shape, default_size=224, min_size=32)
    for block, (filters, count) in enumerate(zip((64, 128, 256, 512, 512), convolutions),
                                             start=1):
        for index in range(1, count + 1):
            x = layers.Conv2D(filters, (3, 3), activation='relu', padding='same',
                              name=f'block{block}_conv{index}')(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f'block{block}_pool')(x)

    if include_top:
        # Classification block
        x = layers.Flatten(name='flatten')(x)
        x = layers.Dense(4096, activation='relu', name='fc1')(x)
        x = layers.Dense(4096, activation='relu', name='fc2')(x)
        x = layers.Dense(classes, activation='softmax', name='predictions')(x)
    else:
        x = _model_utils.pool_features(x, pooling)

    model = _model_utils.create_model(img_input, input_tensor, x, name)
    return _model_utils.load_weights(model, weights, weight_files[0 if include_top else 1])
