"""gkeras.layers: every layer, plus Input."""
from .base import InputSpec, KerasTensor, Layer, Node
from .convolutional import (AtrousConv1D, AtrousConv2D, AtrousConvolution1D, AtrousConvolution2D,
                            Conv1D, Conv2D, Conv2DTranspose, Conv3D, Conv3DTranspose,
                            Convolution1D, Convolution2D, Convolution2DTranspose, Convolution3D,
                            Cropping1D, Cropping2D, Cropping3D, Deconv2D, Deconv3D,
                            Deconvolution2D, Deconvolution3D, DepthwiseConv2D, SeparableConv1D,
                            SeparableConv2D, SeparableConvolution1D, SeparableConvolution2D,
                            UpSampling1D, UpSampling2D, UpSampling3D, ZeroPadding1D,
                            ZeroPadding2D, ZeroPadding3D)
from .convolutional_recurrent import ConvLSTM2D, ConvLSTM2DCell
from .cudnn_recurrent import CuDNNGRU, CuDNNLSTM
from .core import (Activation, ActivityRegularization, Dense, Dropout, Flatten, Lambda, Masking,
                   Permute, RepeatVector, Reshape, SpatialDropout1D, SpatialDropout2D,
                   SpatialDropout3D)
from .advanced_activations import ELU, LeakyReLU, PReLU, ReLU, Softmax, ThresholdedReLU
from .legacy_layers import Highway, MaxoutDense, Recurrent
from .embeddings import Embedding
from .local import LocallyConnected1D, LocallyConnected2D
from .merge import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add,
                    average, concatenate, dot, maximum, minimum, multiply, subtract)
from .noise import AlphaDropout, GaussianDropout, GaussianNoise
from .normalization import BatchNormalization
from .pooling import (AveragePooling1D, AveragePooling2D, AveragePooling3D, AvgPool1D, AvgPool2D,
                      AvgPool3D, GlobalAveragePooling1D, GlobalAveragePooling2D,
                      GlobalAveragePooling3D, GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D,
                      GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D, GlobalMaxPooling1D,
                      GlobalMaxPooling2D, GlobalMaxPooling3D, MaxPool1D, MaxPool2D, MaxPool3D,
                      MaxPooling1D, MaxPooling2D, MaxPooling3D)
from .recurrent import (GRU, LSTM, RNN, GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell,
                        StackedRNNCells)
from .wrappers import Bidirectional, TimeDistributed, Wrapper
from .input_layer import Input, InputLayer
from .serialization import deserialize, layer_from_config, serialize
