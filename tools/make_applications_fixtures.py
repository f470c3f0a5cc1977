"""Write tests/fixtures/applications_reference.json (+ .npz, + a small .h5): Keras 2.2.5's
keras.applications models (keras_applications 1.0.8) as tests/test_applications.py checks them.

Run from the repository root with the Keras 2.2.5 interpreter (TensorFlow 1.15, Python 3.7):

    /tmp/k22/bin/python tools/make_applications_fixtures.py [output_dir]

For every configuration in CONFIGS (a constructor: a name in keras.applications, or
'<module>.<name>' for one in a module of it; its keyword arguments with weights=None; and the
image_data_format), the JSON stores under `models/<config>`: `constructor`, `kwargs`,
`data_format`, `model_name`, `layers` (per layer: [name, class name, output shape, [weight
name from the layer's name on, weight shape]...]) and `count_params`. Layer names come from a fresh K.clear_session(),
so auto-named layers are numbered from 1.

For the configurations in OUTPUTS the model also runs predict on a fixed input, with weights
drawn by `seeded_weights`: the test re-draws them with the same rule, except for the small
models marked 'h5', whose weights model.save_weights writes to `applications_<config>.h5` for
the test to load. The .npz holds `<config>/input`, `<config>/output` and `<config>/features`
(the output of the second-to-last layer, before a softmax saturates), all float32.

Under `imagenet/<config>`: `constructor`, `kwargs` and `get_file`, the list of keyword
arguments (fname, origin, cache_subdir, file_hash or md5_hash) with which
`constructor(weights='imagenet', **kwargs)` calls keras.utils.get_file; the call is refused,
so nothing is downloaded.
"""
import functools
import json
import os
import sys

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import keras  # noqa: E402
import keras_applications.nasnet  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import applications  # noqa: E402
from keras import backend as K  # noqa: E402

assert keras.__version__ == '2.2.5', keras.__version__

CONFIGS = [
    ('vgg16_top', 'VGG16', dict(include_top=True, input_shape=(32, 32, 3), classes=10),
     'channels_last'),
    ('vgg19_notop_max', 'VGG19', dict(include_top=False, input_shape=(32, 32, 3),
                                      pooling='max'), 'channels_last'),
    ('resnet50_top', 'ResNet50', dict(include_top=True, input_shape=(32, 32, 3), classes=10),
     'channels_last'),
    ('mobilenet_top', 'MobileNet', dict(alpha=0.25, include_top=True, input_shape=(32, 32, 3),
                                        classes=10), 'channels_last'),
    ('mobilenet_cf_avg', 'MobileNet', dict(alpha=0.5, depth_multiplier=2, include_top=False,
                                           input_shape=(3, 32, 32), pooling='avg'),
     'channels_first'),
    ('inception_v3_notop', 'InceptionV3', dict(include_top=False, input_shape=(75, 75, 3)),
     'channels_last'),
    ('inception_v3_top', 'InceptionV3', dict(include_top=True, input_shape=(75, 75, 3),
                                             classes=7), 'channels_last'),
    ('xception_avg', 'Xception', dict(include_top=False, input_shape=(71, 71, 3),
                                      pooling='avg'), 'channels_last'),
    ('densenet121_notop', 'DenseNet121', dict(include_top=False, input_shape=(32, 32, 3)),
     'channels_last'),
    ('densenet169_avg', 'DenseNet169', dict(include_top=False, input_shape=(32, 32, 3),
                                            pooling='avg'), 'channels_last'),
    ('densenet201_top', 'DenseNet201', dict(include_top=True, input_shape=(32, 32, 3),
                                            classes=5), 'channels_last'),
    ('mobilenet_v2_top', 'MobileNetV2', dict(alpha=0.35, include_top=True,
                                             input_shape=(32, 32, 3), classes=10),
     'channels_last'),
    ('mobilenet_v2_notop', 'MobileNetV2', dict(alpha=1.3, include_top=False, pooling='max'),
     'channels_last'),
    ('mobilenet_v2_cf', 'MobileNetV2', dict(alpha=0.5, include_top=False,
                                            input_shape=(3, 33, 47)), 'channels_first'),
    ('inception_resnet_v2_notop', 'InceptionResNetV2',
     dict(include_top=False, input_shape=(75, 75, 3)), 'channels_last'),
    ('resnet_resnet50_notop', 'resnet.ResNet50', dict(include_top=False,
                                                     input_shape=(32, 32, 3)), 'channels_last'),
    ('resnet101_avg', 'ResNet101', dict(include_top=False, input_shape=(32, 32, 3),
                                        pooling='avg'), 'channels_last'),
    ('resnet152_notop', 'ResNet152', dict(include_top=False, input_shape=(32, 32, 3)),
     'channels_last'),
    ('resnet50v2_top', 'ResNet50V2', dict(include_top=True, input_shape=(32, 32, 3),
                                          classes=10), 'channels_last'),
    ('resnet101v2_max', 'ResNet101V2', dict(include_top=False, input_shape=(32, 32, 3),
                                            pooling='max'), 'channels_last'),
    ('resnet152v2_cf', 'ResNet152V2', dict(include_top=False, input_shape=(3, 32, 32)),
     'channels_first'),
    ('nasnet_mobile_top', 'NASNetMobile', dict(include_top=True, input_shape=(32, 32, 3),
                                               classes=10), 'channels_last'),
    # NASNetLarge's cell wiring (skip_reduction=True) at a fraction of its size
    ('nasnet_small_max', 'nasnet.NASNet', dict(penultimate_filters=192, num_blocks=1,
                                               stem_block_filters=16, include_top=False,
                                               input_shape=(32, 32, 3), pooling='max'),
     'channels_last'),
]

# weights='imagenet' builds whose get_file calls are recorded (the download is refused)
IMAGENET = [
    ('vgg16_notop', 'VGG16', dict(include_top=False)),
    ('vgg19_notop', 'VGG19', dict(include_top=False)),
    ('resnet50_notop', 'ResNet50', dict(include_top=False)),
    ('inception_v3_notop', 'InceptionV3', dict(include_top=False)),
    ('xception_notop', 'Xception', dict(include_top=False)),
    ('densenet121_top', 'DenseNet121', dict(include_top=True)),
    ('densenet169_notop', 'DenseNet169', dict(include_top=False)),
    ('densenet201_notop', 'DenseNet201', dict(include_top=False)),
    ('mobilenet_top_025_128', 'MobileNet', dict(alpha=0.25, input_shape=(128, 128, 3))),
    ('mobilenet_notop_050', 'MobileNet', dict(alpha=0.5, include_top=False)),
    ('mobilenet_v2_top_035_96', 'MobileNetV2', dict(alpha=0.35, input_shape=(96, 96, 3))),
    ('mobilenet_v2_notop_100', 'MobileNetV2', dict(alpha=1.0, include_top=False)),
    ('inception_resnet_v2_top', 'InceptionResNetV2', dict(include_top=True)),
    ('resnet_resnet50_top', 'resnet.ResNet50', dict(include_top=True)),
    ('resnet101_notop', 'ResNet101', dict(include_top=False)),
    ('resnet152v2_notop', 'ResNet152V2', dict(include_top=False)),
    ('nasnet_mobile_top', 'NASNetMobile', dict(include_top=True)),
    ('nasnet_large_notop', 'NASNetLarge', dict(include_top=False)),
]

# config -> 'h5' (seeded weights, also written by save_weights) or 'seeded'
OUTPUTS = {
    'mobilenet_top': 'h5',
    'resnet50_top': 'seeded',
    'inception_v3_notop': 'seeded',
    'xception_avg': 'seeded',
    'densenet121_notop': 'seeded',
    'mobilenet_v2_top': 'seeded',
    'inception_resnet_v2_notop': 'seeded',
    'resnet50v2_top': 'seeded',
    'nasnet_mobile_top': 'seeded',
}


def seeded_weights(weights, seed=0):
    """One array per (name, shape) of `weights` (get_weights order: layer by layer), in
    order, from one RandomState(seed).

    Kernels are He-normal over their fan-in (a depthwise kernel's fan-in is its window);
    gamma and moving_variance are uniform in [0.8, 1.2], every other vector in [-0.1, 0.1].
    """
    rng = np.random.RandomState(seed)
    arrays = []
    for name, shape in weights:
        base = name.split('/')[-1].split(':')[0]
        if base in ('gamma', 'moving_variance'):
            value = rng.uniform(0.8, 1.2, shape)
        elif len(shape) == 1:
            value = rng.uniform(-0.1, 0.1, shape)
        else:
            fan_in = np.prod(shape[:2]) if base == 'depthwise_kernel' else np.prod(shape[:-1])
            value = rng.normal(0.0, np.sqrt(2.0 / fan_in), shape)
        arrays.append(value.astype('float32'))
    return arrays


def constructor_named(name):
    """keras.applications.<name>; a dotted name reaches into a module ('resnet.ResNet50').
    'nasnet.NASNet', which Keras 2.2.5 does not re-export, is keras_applications' own, given
    Keras' modules as keras.applications gives them to the others."""
    if name == 'nasnet.NASNet':
        return functools.partial(keras_applications.nasnet.NASNet, backend=keras.backend,
                                 layers=keras.layers, models=keras.models, utils=keras.utils)
    found = applications
    for part in name.split('.'):
        found = getattr(found, part)
    return found


class _Refused(Exception):
    pass


def record_get_file_call(constructor, kwargs):
    """The get_file arguments of `constructor(weights='imagenet', **kwargs)`, which is stopped
    there (keras_applications reads get_file from the keras.utils module at call time)."""
    calls = []

    def refuse(fname, origin, **options):
        calls.append(dict(fname=fname, origin=origin, **options))
        raise _Refused()

    real = keras.utils.get_file
    keras.utils.get_file = refuse
    try:
        constructor_named(constructor)(weights='imagenet', **kwargs)
    except _Refused:
        pass
    finally:
        keras.utils.get_file = real
    return calls


def weight_name(layer, weight):
    """`weight`'s name from its layer's name on: '<layer>/<weight>:0'. The name scopes
    NASNet's cells open (K.name_scope) put theirs before it in TensorFlow's graph; gkeras
    runs eagerly and names weights after their layers only."""
    start = weight.name.rfind(layer.name + '/')
    assert start == 0 or weight.name[start - 1] == '/', weight.name
    return weight.name[start:]


def describe(model):
    layers = []
    for layer in model.layers:
        shape = layer.output_shape
        # some layers' shapes hold NumPy integers, which json refuses
        entry = [layer.name, type(layer).__name__, [None if d is None else int(d) for d in shape]]
        entry += [[weight_name(layer, w), [int(d) for d in K.int_shape(w)]]
                  for w in layer.weights]
        layers.append(entry)
    return layers


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join('tests', 'fixtures')
    models = {}
    arrays = {}
    for config, constructor, kwargs, data_format in CONFIGS:
        K.clear_session()
        K.set_image_data_format(data_format)
        np.random.seed(1234)
        tf.set_random_seed(1234)
        model = constructor_named(constructor)(weights=None, **kwargs)
        models[config] = dict(constructor=constructor, kwargs=kwargs, data_format=data_format,
                              model_name=model.name, layers=describe(model),
                              count_params=int(model.count_params()))
        if config in OUTPUTS:
            model.set_weights(seeded_weights([(w.name, K.int_shape(w))
                                              for layer in model.layers
                                              for w in layer.weights]))
            if OUTPUTS[config] == 'h5':
                model.save_weights(os.path.join(out_dir, 'applications_%s.h5' % config))
            x = np.random.RandomState(1).uniform(-1, 1, (2,) + kwargs['input_shape'])
            x = x.astype('float32')
            features = keras.models.Model(model.inputs, model.layers[-2].output)
            arrays[config + '/input'] = x
            arrays[config + '/output'] = model.predict(x).astype('float32')
            arrays[config + '/features'] = features.predict(x).astype('float32')
        print(config, models[config]['count_params'], flush=True)
    K.set_image_data_format('channels_last')
    imagenet = {}
    for config, constructor, kwargs in IMAGENET:
        K.clear_session()
        imagenet[config] = dict(constructor=constructor, kwargs=kwargs,
                                get_file=record_get_file_call(constructor, kwargs))
        print(config, imagenet[config]['get_file'], flush=True)
    meta = dict(keras=keras.__version__, tensorflow=tf.__version__, numpy=np.__version__,
                keras_applications=applications.keras_applications.__version__)
    with open(os.path.join(out_dir, 'applications_reference.json'), 'w') as f:
        json.dump(dict(meta=meta, models=models, imagenet=imagenet), f, separators=(',', ':'))
    np.savez_compressed(os.path.join(out_dir, 'applications_reference.npz'), **arrays)


if __name__ == '__main__':
    main()
