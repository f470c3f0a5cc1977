"""Write tests/fixtures/legacy_interfaces.json: Keras 1 spellings as Keras 2.2.5 reads them.

Run from the repository root with the Keras 2.2.5 interpreter (TensorFlow 1.15, Python 3.7):

    /tmp/k22/bin/python tools/make_legacy_fixtures.py [output.json]

Keras 2.2.5 converts Keras 1 arguments in keras/legacy/interfaces.py. For every call in CASES,
evaluated with the names of `keras.layers`, the file stores under `cases/<name>`:
`call` (the source text, which tests/test_legacy_interfaces.py evaluates with `gkeras.layers`),
`warnings` (the UserWarning messages it gave, in order) and either `config` (the layer's
get_config() without `name`, through JSON, so tuples are lists) or `error` ({"type", "message"}
of the exception it raised). Under `models`: the warnings or the error of
`Model(input=, output=)` (`model_input_output`) and `Model(inputs=, input=, output=)`
(`model_duplicate`), and the [name, shape] of the weights a custom layer makes with Keras 1's
`add_weight(shape, ...)` (`add_weight`). `meta` has the versions and `image_data_format` (which
dim_ordering='default' resolves to). Kept to Python 3.7 syntax.
"""
import json
import os
import sys
import warnings

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

assert keras.__version__ == '2.2.5', keras.__version__

CASES = [
    # core
    ('dense', "Dense(output_dim=4, init='he_normal', W_regularizer='l2', b_regularizer=None, "
              "W_constraint='max_norm', b_constraint=None, bias=False, activation='relu')"),
    ('dense_units_positional', "Dense(4, init='uniform')"),
    ('dropout', "Dropout(p=0.3)"),
    ('spatial_dropout_1d', "SpatialDropout1D(p=0.2)"),
    ('spatial_dropout_2d', "SpatialDropout2D(p=0.2, dim_ordering='th')"),
    ('spatial_dropout_3d', "SpatialDropout3D(0.1, dim_ordering='tf')"),
    ('embedding', "Embedding(10, 4, init='uniform', W_regularizer=None, W_constraint=None, "
                  "dropout=0.)"),
    ('embedding_dropout_only', "Embedding(10, 4, input_length=5, dropout=0.2)"),
    ('prelu', "PReLU(init='ones')"),
    ('gaussian_noise', "GaussianNoise(sigma=0.1)"),
    ('gaussian_dropout', "GaussianDropout(p=0.2)"),
    ('batchnorm', "BatchNormalization(mode=0, axis=1, beta_init='one', gamma_init='zero')"),
    ('batchnorm_mode_1', "BatchNormalization(mode=1)"),
    ('input_layer', "InputLayer(input_shape=(3,), input_dtype='int32', name='legacy_input')"),
    # recurrent
    ('simple_rnn', "SimpleRNN(output_dim=4, init='he_normal', inner_init='identity', "
                   "W_regularizer='l2', U_regularizer=None, b_regularizer=None, dropout_W=0.1, "
                   "dropout_U=0.2)"),
    ('lstm', "LSTM(output_dim=4, forget_bias_init='one', inner_activation='hard_sigmoid', "
             "consume_less='cpu')"),
    ('lstm_forget_bias_zero', "LSTM(4, forget_bias_init='zero', consume_less='gpu', "
                              "inner_activation='sigmoid')"),
    ('simple_rnn_consume_less', "SimpleRNN(4, consume_less='gpu')"),
    ('lstm_forget_bias_only', "LSTM(3, forget_bias_init='one')"),
    ('gru', "GRU(4, consume_less='mem', inner_activation='sigmoid', input_dim=3, "
            "input_length=5)"),
    ('gru_input_dim', "GRU(2, input_dim=3)"),
    # convolution
    ('conv1d', "Convolution1D(nb_filter=8, filter_length=3, subsample_length=2, "
               "border_mode='same', init='he_normal', bias=False, input_dim=4, "
               "input_length=10)"),
    ('conv1d_input_dim', "Conv1D(8, 3, input_dim=4)"),
    ('conv2d_positional', "Convolution2D(64, 3, 3, border_mode='same')"),
    ('conv2d_nb_col', "Convolution2D(16, 3, nb_col=5, subsample=(2, 2), dim_ordering='th')"),
    ('conv2d_nb_row_nb_col', "Convolution2D(16, nb_row=3, nb_col=2, dim_ordering='default')"),
    ('conv2d_keywords', "Convolution2D(nb_filter=16, nb_row=3, nb_col=2, W_regularizer='l1', "
                        "b_constraint='non_neg', init='zero')"),
    ('conv2d_integer_kernel_and_strides', "Conv2D(8, 3, 2)"),
    ('conv2d_integer_strides_error', "Conv2D(8, 3, 2, padding='same')"),
    ('conv2d_keras2', "Conv2D(8, (3, 3), strides=(2, 2), activation='relu')"),
    ('conv3d_positional', "Convolution3D(8, 3, 3, 3, border_mode='same', subsample=(1, 2, 2), "
                          "dim_ordering='tf')"),
    ('conv3d_kernel_dim3', "Convolution3D(8, 3, 2, kernel_dim3=1)"),
    ('conv3d_kernel_dim23', "Convolution3D(8, 3, kernel_dim2=2, kernel_dim3=1)"),
    ('conv3d_kernel_dims', "Convolution3D(8, kernel_dim1=1, kernel_dim2=2, kernel_dim3=3)"),
    ('conv3d_keywords', "Convolution3D(nb_filter=8, kernel_dim1=3, kernel_dim2=1, "
                        "kernel_dim3=2, dim_ordering='th')"),
    ('conv3d_integer_strides_error', "Conv3D(8, 3, 2, strides=1)"),
    ('deconv2d', "Deconvolution2D(8, 3, 3, (None, 14, 14, 8), border_mode='same', "
                 "subsample=(2, 2))"),
    ('deconv2d_output_shape', "Deconvolution2D(8, 3, 3, output_shape=(None, 8, 14, 14), "
                              "dim_ordering='th', init='he_uniform')"),
    ('separable_conv2d', "SeparableConv2D(8, 3, 3, init='he_normal', border_mode='same', "
                         "depth_multiplier=2, b_regularizer=None, bias=True)"),
    ('locally_connected_1d', "LocallyConnected1D(nb_filter=4, filter_length=3, "
                             "subsample_length=1, init='he_normal', input_dim=2)"),
    ('locally_connected_2d', "LocallyConnected2D(4, 3, 3, subsample=(2, 2), dim_ordering='tf')"),
    ('convlstm2d', "ConvLSTM2D(8, 3, 3, border_mode='same', forget_bias_init='one', "
                   "inner_init='orthogonal', inner_activation='hard_sigmoid', dropout_W=0.1, "
                   "dropout_U=0.2, dim_ordering='tf', return_sequences=True)"),
    ('convlstm2d_forget_bias_zero', "ConvLSTM2D(4, (3, 3), forget_bias_init='zero')"),
    # pooling
    ('max_pooling_1d', "MaxPooling1D(pool_length=3, stride=2, border_mode='same')"),
    ('average_pooling_1d', "AveragePooling1D(pool_length=2)"),
    ('max_pooling_2d', "MaxPooling2D(border_mode='same')"),
    ('max_pooling_2d_th', "MaxPooling2D((3, 3), (2, 2), border_mode='valid', "
                          "dim_ordering='th')"),
    ('average_pooling_2d', "AveragePooling2D(dim_ordering='tf')"),
    ('max_pooling_3d', "MaxPooling3D(border_mode='same', dim_ordering='th')"),
    ('average_pooling_3d', "AveragePooling3D(pool_size=(2, 2, 2), dim_ordering='default')"),
    ('global_max_pooling_2d', "GlobalMaxPooling2D(dim_ordering='default')"),
    ('global_average_pooling_2d', "GlobalAveragePooling2D(dim_ordering='th')"),
    ('global_max_pooling_3d', "GlobalMaxPooling3D(dim_ordering='tf')"),
    ('global_average_pooling_3d', "GlobalAveragePooling3D(dim_ordering='th')"),
    # shape layers
    ('upsampling_1d', "UpSampling1D(length=3)"),
    ('upsampling_2d', "UpSampling2D(size=(2, 3), dim_ordering='th')"),
    ('upsampling_3d', "UpSampling3D(dim_ordering='tf')"),
    ('zero_padding_2d_dict', "ZeroPadding2D(padding={'top_pad': 1, 'left_pad': 2})"),
    ('zero_padding_2d_dict_positional', "ZeroPadding2D({'bottom_pad': 1, 'right_pad': 3}, "
                                        "dim_ordering='th')"),
    ('zero_padding_3d', "ZeroPadding3D((1, 2, 3), dim_ordering='th')"),
    ('cropping_2d', "Cropping2D(((1, 1), (2, 2)), dim_ordering='th')"),
    ('cropping_3d', "Cropping3D(dim_ordering='tf')"),
    # an argument under both names
    ('dense_duplicate', "Dense(units=4, output_dim=4)"),
    ('dropout_duplicate', "Dropout(rate=0.1, p=0.2)"),
    ('lstm_duplicate', "LSTM(4, dropout=0.1, dropout_W=0.2)"),
    ('conv2d_duplicate', "Conv2D(filters=3, nb_filter=3, kernel_size=3)"),
    ('max_pooling_2d_duplicate', "MaxPooling2D(padding='same', border_mode='same')"),
    ('embedding_duplicate', "Embedding(10, 4, init='uniform', embeddings_initializer='zeros')"),
]


def plain(value):
    """JSON-ready: tuples as lists, NumPy scalars as Python numbers."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def record(call):
    """`call`: source text evaluated with the names of keras.layers, or a function."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        try:
            layer = call() if callable(call) else eval(call, dict(vars(keras.layers)))
        except Exception as error:  # the case records what Keras raises
            result = {'error': {'type': type(error).__name__, 'message': str(error)}}
        else:
            config = layer.get_config()
            config.pop('name')
            result = {'config': plain(config)}
    result['warnings'] = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    if not callable(call):
        result['call'] = call
    return result


def model_cases():
    """Model(input=, output=) and Keras 1's add_weight(shape, name) in a custom layer."""
    def model(**kwargs):
        x = keras.layers.Input(shape=(3,))
        y = keras.layers.Dense(2)(x)
        arguments = {key: {'x': x, 'y': y}[value] for key, value in kwargs.items()}
        result = record(lambda: keras.models.Model(**arguments))
        result.pop('config', None)
        return result

    class Keras1Layer(keras.layers.Layer):
        def build(self, input_shape):
            self.W = self.add_weight((input_shape[-1], 2), initializer='uniform', name='W')
            self.b = self.add_weight((2,), 'b', initializer='zeros')
            super(Keras1Layer, self).build(input_shape)

        def call(self, inputs):
            return keras.backend.dot(inputs, self.W) + self.b

    layer = Keras1Layer(name='keras1_layer')
    layer.build((None, 3))
    return {
        'model_input_output': model(input='x', output='y'),
        'model_duplicate': model(inputs='x', input='x', output='y'),
        'add_weight': [[w.name, list(keras.backend.int_shape(w))] for w in layer.weights],
    }


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures',
        'legacy_interfaces.json')
    fixture = {
        'meta': {'keras': keras.__version__, 'tensorflow': tf.__version__,
                 'image_data_format': keras.backend.image_data_format()},
        'cases': {name: record(call) for name, call in CASES},
        'models': model_cases(),
    }
    assert len(fixture['cases']) == len(CASES), 'two cases share a name'
    with open(path, 'w') as f:
        json.dump(fixture, f, indent=1, sort_keys=True)
        f.write('\n')
    with open(path) as f:
        assert json.load(f) == fixture
    print('wrote', os.path.normpath(path), len(CASES), 'cases')


if __name__ == '__main__':
    main()
