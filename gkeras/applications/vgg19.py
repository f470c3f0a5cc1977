"""VGG19 model for Keras.

# Reference

- [Very Deep Convolutional Networks for Large-Scale Image Recognition](
    https://arxiv.org/abs/1409.1556) (ICLR 2015)

Ported from keras_applications 1.0.8 (the version Keras 2.2.5 uses), MIT License, copyright
(c) 2016 - 2018 the respective contributors; the notice is in gkeras/applications/__init__.py.
Same layers, names, order and weight files as Keras 2.2.5.
"""

from . import imagenet_utils
from .imagenet_utils import decode_predictions
from .vgg16 import build_vgg

preprocess_input = imagenet_utils.preprocess_input

WEIGHTS_PATH = ('https://github.com/fchollet/deep-learning-models/'
                'releases/download/v0.1/'
                'vgg19_weights_tf_dim_ordering_tf_kernels.h5')
WEIGHTS_PATH_NO_TOP = ('https://github.com/fchollet/deep-learning-models/'
                       'releases/download/v0.1/'
                       'vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5')

# get_file's arguments for Keras' ImageNet weights, with the top and without.
WEIGHTS_FILE = dict(fname='vgg19_weights_tf_dim_ordering_tf_kernels.h5',
                    origin=WEIGHTS_PATH,
                    file_hash='cbe5617147190e668d6c5d5026f83318')
WEIGHTS_FILE_NO_TOP = dict(fname='vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5',
                           origin=WEIGHTS_PATH_NO_TOP,
                           file_hash='253f8cb515780f3b799900260a226db6')


def VGG19(include_top=True,
          weights='imagenet',
          input_tensor=None,
          input_shape=None,
          pooling=None,
          classes=1000):
    """Instantiates the VGG19 architecture.

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
            It should have exactly 3 inputs channels,
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

    return build_vgg('vgg19', (2, 2, 4, 4, 4), (WEIGHTS_FILE, WEIGHTS_FILE_NO_TOP),
                     include_top, weights, input_tensor, input_shape, pooling, classes)
