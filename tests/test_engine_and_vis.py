"""The keras.engine import paths, get_source_inputs, and plot_model / model_to_dot (pydot is not
a dependency: a small stand-in module records what they ask pydot to draw)."""
import types

import pytest

import gkeras
from gkeras import layers
from gkeras.models import Model, Sequential
from gkeras.utils import get_source_inputs, vis_utils


def test_engine_import_paths():
    from gkeras.engine import Input, InputLayer, InputSpec, Layer, get_source_inputs as gsi
    from gkeras.engine.base_layer import Node
    from gkeras.engine.network import Network
    from gkeras.engine.saving import load_model, model_from_json, save_model
    from gkeras.engine.sequential import Sequential as EngineSequential
    from gkeras.engine.topology import Layer as TopologyLayer
    from gkeras.engine.training import Model as EngineModel
    assert Layer is TopologyLayer is layers.Layer and InputSpec is layers.InputSpec
    assert Input is layers.Input and InputLayer is layers.InputLayer
    assert EngineModel is Model and EngineSequential is Sequential
    assert issubclass(Model, Network) and load_model is gkeras.models.load_model
    assert model_from_json is gkeras.models.model_from_json
    assert save_model is gkeras.models.save_model and gsi is get_source_inputs
    assert Node is gkeras.layers.base.Node

    class Custom(TopologyLayer):  # a Keras 2 custom layer written against keras.engine
        def call(self, x):
            return x * 2.0
    x = Input((3,))
    assert Model(x, Custom()(x)).predict([[1., 2., 3.]]).tolist() == [[2., 4., 6.]]


def test_get_source_inputs():
    a, b = layers.Input((3,), name='a'), layers.Input((3,), name='b')
    shared = layers.Dense(3)
    mixed = layers.add([shared(a), shared(b), a])
    sources = get_source_inputs(layers.Dense(2)(mixed))
    assert len(sources) == 2 and sources[0] is a and sources[1] is b
    assert get_source_inputs(a) == [a]
    assert get_source_inputs(5) == 5


class FakePydot(types.ModuleType):
    """Records the graph: nodes (name -> label), edges, settings, written files."""

    def __init__(self):
        super().__init__('pydot')
        record = self
        self.written = []

        class Dot:
            def __init__(self):
                self.nodes, self.edges, self.settings = {}, [], {}

            def create(self):
                return b''

            def set(self, key, value):
                self.settings[key] = value

            def set_node_defaults(self, **kwargs):
                self.settings['node_defaults'] = kwargs

            def add_node(self, node):
                self.nodes[node.name] = node.label

            def add_edge(self, edge):
                assert edge.src in self.nodes and edge.dst in self.nodes
                self.edges.append((self.nodes[edge.src], self.nodes[edge.dst]))

            def write(self, path, format):
                record.written.append((path, format))

        class Node:
            def __init__(self, name, label):
                self.name, self.label = name, label

        class Edge:
            def __init__(self, src, dst):
                self.src, self.dst = src, dst

        self.Dot, self.Node, self.Edge = Dot, Node, Edge


@pytest.fixture
def pydot(monkeypatch):
    fake = FakePydot()
    monkeypatch.setattr(vis_utils, 'pydot', fake)
    return fake


def test_model_to_dot_draws_the_graph(pydot):
    x = layers.Input((4,), name='features')
    hidden = layers.Dense(3, name='hidden')(x)
    out = layers.concatenate([hidden, layers.Dense(2, name='side')(x)], name='joined')
    model = Model(x, out)
    dot = vis_utils.model_to_dot(model, rankdir='LR')
    assert sorted(dot.nodes.values()) == ['features: InputLayer', 'hidden: Dense',
                                          'joined: Concatenate', 'side: Dense']
    assert sorted(dot.edges) == [('features: InputLayer', 'hidden: Dense'),
                                 ('features: InputLayer', 'side: Dense'),
                                 ('hidden: Dense', 'joined: Concatenate'),
                                 ('side: Dense', 'joined: Concatenate')]
    assert dot.settings['rankdir'] == 'LR' and dot.settings['dpi'] == 96
    shapes = vis_utils.model_to_dot(model, show_shapes=True, show_layer_names=False)
    assert 'Dense\n|{input:|output:}|{{(None, 4)}|{(None, 3)}}' in shapes.nodes.values()
    assert 'Concatenate\n|{input:|output:}|{{[(None, 3), (None, 2)]}|{(None, 5)}}' in \
        shapes.nodes.values()


def test_plot_model_of_a_sequential_model(pydot):
    model = Sequential([layers.Dense(3, input_shape=(2,), name='first'),
                        layers.Dense(1, name='second')])
    vis_utils.plot_model(model, to_file='graph.svg')
    vis_utils.plot_model(model, to_file='graph')
    assert pydot.written == [('graph.svg', 'svg'), ('graph', 'png')]
    dot = vis_utils.model_to_dot(model)
    # Keras 2.2.5 draws the InputLayer that Sequential.layers leaves out
    assert sorted(dot.nodes.values()) == ['first: Dense', 'first_input: InputLayer',
                                          'second: Dense']
    assert sorted(dot.edges) == [('first: Dense', 'second: Dense'),
                                 ('first_input: InputLayer', 'first: Dense')]
    with pytest.raises(ValueError, match='expand_nested'):
        vis_utils.model_to_dot(model, expand_nested=True)
    with pytest.raises(ValueError, match='no graph yet'):
        vis_utils.model_to_dot(Sequential([layers.Dense(2)]))


def test_wrapped_layers_are_labelled_with_their_inner_layer(pydot):
    x = layers.Input((5, 3))
    model = Model(x, layers.TimeDistributed(layers.Dense(2, name='inner'), name='td')(x))
    assert 'td(inner): TimeDistributed(Dense)' in vis_utils.model_to_dot(model).nodes.values()


def test_without_pydot_the_error_is_keras(monkeypatch):
    monkeypatch.setattr(vis_utils, 'pydot', None)
    model = Sequential([layers.Dense(1, input_shape=(2,))])
    with pytest.raises(ImportError, match='Failed to import `pydot`'):
        vis_utils.plot_model(model)


def test_keras_2_import_paths_of_utils_and_pooling():
    # Keras 2 code (the mnist_acgan and image_ocr examples) imports these from there
    from gkeras.layers.convolutional import AveragePooling3D, MaxPooling2D
    from gkeras.utils.generic_utils import (CustomObjectScope, Progbar, custom_object_scope,
                                            deserialize_keras_object, get_custom_objects,
                                            serialize_keras_object)
    assert MaxPooling2D is layers.MaxPooling2D and AveragePooling3D is layers.AveragePooling3D
    assert Progbar is gkeras.utils.Progbar and CustomObjectScope is gkeras.utils.CustomObjectScope
    assert custom_object_scope is gkeras.utils.custom_object_scope
    assert get_custom_objects is gkeras.utils.get_custom_objects
    assert serialize_keras_object is gkeras.registry.serialize_keras_object
    assert deserialize_keras_object is gkeras.registry.deserialize_keras_object
    with pytest.raises(ImportError):
        from gkeras.layers.convolutional import NoSuchLayer  # noqa: F401


def test_generic_utils_helpers():
    import numpy as np
    from gkeras.utils import generic_utils as g
    assert g.has_arg(lambda a, b=1: 0, 'b') and not g.has_arg(lambda a, **k: 0, 'b')
    assert g.has_arg(lambda a, **k: 0, 'b', accept_all=True)
    assert not g.has_arg(lambda *b: 0, 'b')
    assert g.to_list(3) == [3] and g.to_list((1, 2)) == [(1, 2)]
    assert g.to_list((1, 2), allow_tuple=True) == [1, 2]
    assert g.unpack_singleton([5]) == 5 and g.unpack_singleton([5, 6]) == [5, 6]
    x = np.arange(10)
    assert g.slice_arrays([x, None], 2, 4)[0].tolist() == [2, 3]
    assert g.slice_arrays([x, None], 2, 4)[1] is None
    assert g.slice_arrays(x, np.array([1, 3])).tolist() == [1, 3]
    assert g.slice_arrays(None) == [None]
    assert g.is_all_none([None, None]) and not g.is_all_none((None, 1))
    assert g.transpose_shape((8, 5, 6, 3), 'channels_first', (1, 2)) == (8, 3, 5, 6)
    assert g.transpose_shape([8, 5, 3], 'channels_last', (1,)) == [8, 5, 3]
    with pytest.raises(ValueError, match='data_format'):
        g.transpose_shape((1, 2), 'nchw', (1,))


def test_multi_gpu_model_refuses_with_what_to_do_instead():
    """Keras 2 raises a ValueError where the GPUs asked for are missing; gkeras never
    replicates, so it always raises, and Keras 2 scripts' `except ValueError` fallback runs."""
    from gkeras.layers import Dense
    from gkeras.models import Sequential
    from gkeras.utils import multi_gpu_model
    from gkeras.utils.multi_gpu_utils import multi_gpu_model as same
    model = Sequential([Dense(2, input_shape=(3,))])
    assert same is multi_gpu_model
    with pytest.raises(ValueError, match=r'gpus=2.*one device.*template'):
        multi_gpu_model(model, gpus=2)


def test_convert_kernel_and_convert_all_kernels_in_model(rng):
    """Flipping a kernel turns a correlation into a true convolution (Theano's): checked on a
    1D signal against numpy.convolve, and in a model (twice gives the original back)."""
    import numpy as np
    from gkeras import backend as K
    from gkeras.layers import Conv1D, Dense, Flatten
    from gkeras.utils import convert_all_kernels_in_model
    from gkeras.utils.conv_utils import convert_kernel
    signal, taps = rng.standard_normal(9), rng.standard_normal(3)
    model = Sequential([Conv1D(1, 3, use_bias=False, input_shape=(9, 1)), Flatten(), Dense(2)])
    model.layers[0].set_weights([taps.reshape(3, 1, 1)])
    dense_before = model.layers[2].get_weights()
    convert_all_kernels_in_model(model)
    np.testing.assert_allclose(model.layers[0].get_weights()[0].ravel(), taps[::-1])
    convolved = K.function([model.input], [model.layers[0].output])(
        [signal.reshape(1, 9, 1)])[0].ravel()
    np.testing.assert_allclose(convolved, np.convolve(signal, taps, mode='valid'), rtol=1e-5,
                               atol=1e-6)
    for a, b in zip(model.layers[2].get_weights(), dense_before):
        np.testing.assert_array_equal(a, b)
    kernel = rng.standard_normal((2, 3, 4, 5))
    np.testing.assert_array_equal(convert_kernel(convert_kernel(kernel)), kernel)
    np.testing.assert_array_equal(convert_kernel(kernel)[0, 0], kernel[1, 2])
    with pytest.raises(ValueError, match='3 to 5 axes'):
        convert_kernel(np.ones((3, 3)))


def test_atrous_convolutions_are_dilated_keras_1_convolutions():
    from gkeras.layers import AtrousConvolution1D, AtrousConvolution2D, Conv1D, Conv2D
    with pytest.warns(UserWarning) as caught:  # both warnings of Keras 2.2.5
        layer = AtrousConvolution2D(8, 3, 3, atrous_rate=(2, 2), border_mode='same')
    messages = [str(w.message) for w in caught]
    assert any('AtrousConvolution2D` layer has been deprecated' in m for m in messages)
    assert any('Update your `Conv2D` call to the Keras 2 API' in m for m in messages)
    assert type(layer) is Conv2D
    assert (layer.kernel_size, layer.dilation_rate, layer.padding) == ((3, 3), (2, 2), 'same')
    with pytest.warns(UserWarning, match='AtrousConvolution1D'):
        layer = AtrousConvolution1D(4, 3)
    assert type(layer) is Conv1D and layer.dilation_rate == (1,)


def test_highway_and_maxout_dense_compute_keras_2s_legacy_layers(rng):
    """Against NumPy: Highway mixes a transform and the input by a sigmoid gate (its b_carry
    starting at ones), MaxoutDense takes the maximum of nb_feature affine maps; both warn as
    Keras 2.2 does."""
    import numpy as np
    from gkeras.layers import Highway, MaxoutDense
    with pytest.warns(UserWarning, match='`Highway` layer is deprecated'):
        highway = Highway(activation='tanh', input_dim=3)
    with pytest.warns(UserWarning, match='`MaxoutDense` layer is deprecated'):
        maxout = MaxoutDense(2, nb_feature=3)
    model = Sequential([highway, maxout])
    assert [w.name for w in model.weights] == [
        'highway_1/W:0', 'highway_1/W_carry:0', 'highway_1/b:0', 'highway_1/b_carry:0',
        'maxout_dense_1/W:0', 'maxout_dense_1/b:0']
    np.testing.assert_array_equal(highway.get_weights()[3], np.ones(3))
    model.set_weights([rng.standard_normal(w.shape) for w in model.get_weights()])
    w, w_carry, b, b_carry, mw, mb = model.get_weights()
    x = rng.standard_normal((4, 3)).astype('float32')
    gate = 1 / (1 + np.exp(-(x @ w_carry + b_carry)))
    hidden = np.tanh(x @ w + b) * gate + (1 - gate) * x
    expected = np.max(np.einsum('ni,kio->nko', hidden, mw) + mb, axis=1)
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-6)


def test_keras_2_2_names_in_their_modules():
    """Names Keras 2.2.5 scripts import from these modules (checked against its own exports)."""
    import gkeras.layers as layer_module
    from gkeras import models, optimizers, utils
    from gkeras.utils import conv_utils, layer_utils
    assert models.Input is layer_module.Input and models.InputLayer is layer_module.InputLayer
    for name, cls in (('sgd', 'SGD'), ('rmsprop', 'RMSprop'), ('adagrad', 'Adagrad'),
                      ('adadelta', 'Adadelta'), ('adam', 'Adam'), ('adamax', 'Adamax'),
                      ('nadam', 'Nadam')):
        assert getattr(optimizers, name) is getattr(optimizers, cls)
    assert layer_utils.convert_kernel is conv_utils.convert_kernel
    assert utils.serialize_keras_object(optimizers.SGD(lr=0.5))['class_name'] == 'SGD'
    for name in ('HDF5Matrix', 'multi_gpu_model', 'convert_all_kernels_in_model',
                 'deserialize_keras_object'):
        assert hasattr(utils, name), name


@pytest.mark.parametrize('target', ['channels_first', 'channels_last'])
def test_convert_dense_weights_data_format(rng, target):
    """A Flatten + Dense reading feature maps in one format gives the same outputs as the same
    weights converted for the other format, the maps transposed to it."""
    import numpy as np
    from gkeras.layers import Dense, Flatten
    from gkeras.utils.layer_utils import convert_dense_weights_data_format
    source_shape = (3, 4, 2) if target == 'channels_first' else (2, 3, 4)  # (h, w, c) / (c, h, w)
    target_shape = (2, 3, 4) if target == 'channels_first' else (3, 4, 2)
    to_target = (0, 3, 1, 2) if target == 'channels_first' else (0, 2, 3, 1)
    source = Sequential([Flatten(input_shape=source_shape), Dense(5)])
    converted = Sequential([Flatten(input_shape=target_shape), Dense(5)])
    converted.set_weights(source.get_weights())
    convert_dense_weights_data_format(converted.layers[1], target_shape, target)
    maps = rng.standard_normal((2,) + source_shape).astype('float32')
    np.testing.assert_allclose(converted.predict(maps.transpose(to_target)),
                               source.predict(maps), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match='flatten to 12 values'):
        convert_dense_weights_data_format(converted.layers[1], (3, 4), target)
