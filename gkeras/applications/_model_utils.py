"""What every ImageNet model builder does around its own layers: the `weights` and `classes`
checks, the input layer, the pooling head of a model without its top, the Model on the
source inputs, and the weight loading (Keras' file through get_file, or a path).

Keras 2.2.5 (keras_applications 1.0.8) repeats these in each model function; the messages,
layer names and get_file calls here are its own.
"""
import os

from .imagenet_utils import _obtain_input_shape
from .. import backend, layers, models
from .. import utils as keras_utils


def check_weights_and_classes(weights, include_top, classes):
    """ValueError for `weights` that is neither None, 'imagenet' nor an existing file, and for
    ImageNet weights with a top of other than 1000 classes."""
    if not (weights in {'imagenet', None} or os.path.exists(weights)):
        raise ValueError('The `weights` argument should be either '
                         '`None` (random initialization), `imagenet` '
                         '(pre-training on ImageNet), '
                         'or the path to the weights file to be loaded.')
    if weights == 'imagenet' and include_top and classes != 1000:
        raise ValueError('If using `weights` as `"imagenet"` with `include_top`'
                         ' as true, `classes` should be 1000')


def input_layer(input_tensor, input_shape):
    """The model's image input: a new Input of `input_shape`, `input_tensor` itself when it is
    a Keras tensor, else an Input wrapping it."""
    if input_tensor is None:
        return layers.Input(shape=input_shape)
    if not backend.is_keras_tensor(input_tensor):
        return layers.Input(tensor=input_tensor, shape=input_shape)
    return input_tensor


def model_input(weights, include_top, classes, input_tensor, input_shape, default_size,
                min_size):
    """The arguments checked, then the image input of a model whose default input is
    `default_size` square and which accepts no less than `min_size`."""
    check_weights_and_classes(weights, include_top, classes)
    input_shape = _obtain_input_shape(input_shape,
                                      default_size=default_size,
                                      min_size=min_size,
                                      data_format=backend.image_data_format(),
                                      require_flatten=include_top,
                                      weights=weights)
    return input_layer(input_tensor, input_shape)


def pool_features(x, pooling, named=False):
    """The head of a model without its top: global average ('avg') or max ('max') pooling of
    the last feature map, or the map itself.

    Args:
        named: call the pooling layer 'avg_pool' / 'max_pool' (ResNet, DenseNet) rather than
            giving it the default name.
    """
    if pooling == 'avg':
        return layers.GlobalAveragePooling2D(name='avg_pool' if named else None)(x)
    if pooling == 'max':
        return layers.GlobalMaxPooling2D(name='max_pool' if named else None)(x)
    return x


def create_model(img_input, input_tensor, outputs, name):
    """The Model from the image input to `outputs`; when the caller gave `input_tensor`, its
    inputs are the sources `input_tensor` was computed from."""
    if input_tensor is not None:
        inputs = keras_utils.get_source_inputs(input_tensor)
    else:
        inputs = img_input
    return models.Model(inputs, outputs, name=name)


def weights_file(base_url, fname, **file_hash):
    """get_file's arguments for the weights file `fname` at `base_url` (with its hash, as
    `file_hash=` or `md5_hash=`, where Keras checks one)."""
    return dict(fname=fname, origin=base_url + fname, **file_hash)


def kernels_weights_file(base_url, model_name, include_top, hashes):
    """get_file's arguments for Keras' ImageNet weights of `model_name` at `base_url`, in the
    file '<model_name>_weights_tf_dim_ordering_tf_kernels.h5' (with the top) or '..._notop.h5'.

    Args:
        hashes: the file_hash of the file with the top and of the one without.
    """
    if include_top:
        return weights_file(base_url, model_name + '_weights_tf_dim_ordering_tf_kernels.h5',
                            file_hash=hashes[0])
    return weights_file(base_url, model_name + '_weights_tf_dim_ordering_tf_kernels_notop.h5',
                        file_hash=hashes[1])


def load_weights(model, weights, imagenet_file):
    """Load `weights` into `model` and return it: with 'imagenet', the file get_file finds from
    `imagenet_file` (its arguments fname, origin and a hash, cached under 'models'); with a
    path, that file; with None, nothing.

    Args:
        imagenet_file: None for a model Keras has no ImageNet file for, where 'imagenet' is
            then read as a path, as Keras does.
    """
    if weights == 'imagenet' and imagenet_file is not None:
        weights = keras_utils.get_file(cache_subdir='models', **imagenet_file)
    if weights is not None:
        model.load_weights(weights)
    return model
