"""The four benchmark models of BENCH.md, each defined for gkeras, PyTorch and tf.keras.

Every framework gets the same layer sizes, batch, random float32 data, optimizer (framework
defaults: lr 1e-3, RMSprop rho 0.9, Adam betas 0.9/0.999, epsilon 1e-7) and loss. Each side keeps
its natural layout: gkeras and tf.keras channels_last, PyTorch NCHW. The Keras models end in a
softmax/sigmoid and use Keras' crossentropy (both compute it from the logits behind the
activation); the PyTorch models end in logits and use the fused logits losses, which is the same
arithmetic. The LSTM uses a sigmoid recurrent activation everywhere (what PyTorch and cuDNN do).

PyTorch and tf.keras are imported only when their builders run, so this module imports with
NumPy alone. A runner exposes `train_step()` (one train_on_batch or its eager equivalent),
`predict()` (outputs of one batch as host arrays) and `synchronize()` (waits for the device).
"""
import collections
import os

import numpy as np

Spec = collections.namedtuple('Spec', 'name batch input_shape classes optimizer loss layers')

MODELS = {
    'mlp_b128': Spec('mlp_b128', 128, (28, 28, 1), 10, 'rmsprop',
                     'sparse_categorical_crossentropy', ('Dense', 'Dropout')),
    'mnist_cnn_b128': Spec('mnist_cnn_b128', 128, (28, 28, 1), 10, 'adam',
                           'sparse_categorical_crossentropy',
                           ('Conv2D', 'MaxPooling2D', 'Dense', 'Dropout')),
    'cifar_cnn_b128': Spec('cifar_cnn_b128', 128, (32, 32, 3), 10, 'adam',
                           'sparse_categorical_crossentropy',
                           ('Conv2D', 'MaxPooling2D', 'Dense', 'Dropout')),
    'imdb_lstm_b32': Spec('imdb_lstm_b32', 32, (80,), 1, 'adam', 'binary_crossentropy',
                          ('Embedding', 'LSTM', 'Dense')),
}
IMDB_VOCABULARY = 20000
IMDB_EMBEDDING = 128
LSTM_UNITS = 128
EPSILON = 1e-7


def spec(name):
    if name not in MODELS:
        raise ValueError(f"Unknown benchmark model {name!r}; expected one of {sorted(MODELS)}.")
    return MODELS[name]


def make_data(name, seed=0):
    """One batch (x, y) as NumPy arrays: images in NHWC float32 or token ids; int or 0/1 labels."""
    s = spec(name)
    rng = np.random.default_rng(seed)
    if name == 'imdb_lstm_b32':
        x = rng.integers(1, IMDB_VOCABULARY, size=(s.batch,) + s.input_shape).astype(np.int32)
        y = rng.integers(0, 2, size=(s.batch, 1)).astype(np.float32)
    else:
        x = rng.standard_normal((s.batch,) + s.input_shape).astype(np.float32)
        y = rng.integers(0, s.classes, size=(s.batch,)).astype(np.int32)
    return x, y


def missing_gkeras_layers(name):
    """Names of the gkeras layers this model needs that gkeras.layers does not have yet."""
    from gkeras import layers
    return [layer for layer in spec(name).layers if not hasattr(layers, layer)]


# --------------------------------------------------------------------------- Keras (both kinds)

def _keras_layers(L, name):
    """The layer list of a benchmark model, written once for gkeras and tf.keras (`L` = layers)."""
    s = spec(name)
    if name == 'mlp_b128':
        return [L.Flatten(input_shape=s.input_shape),
                L.Dense(512, activation='relu'), L.Dropout(0.2),
                L.Dense(512, activation='relu'), L.Dropout(0.2),
                L.Dense(10, activation='softmax')]
    if name == 'mnist_cnn_b128':
        return [L.Conv2D(32, (3, 3), activation='relu', input_shape=s.input_shape),
                L.Conv2D(64, (3, 3), activation='relu'),
                L.MaxPooling2D(pool_size=(2, 2)), L.Dropout(0.25), L.Flatten(),
                L.Dense(128, activation='relu'), L.Dropout(0.5),
                L.Dense(10, activation='softmax')]
    if name == 'cifar_cnn_b128':
        return [L.Conv2D(32, (3, 3), padding='same', activation='relu', input_shape=s.input_shape),
                L.Conv2D(32, (3, 3), activation='relu'),
                L.MaxPooling2D(pool_size=(2, 2)), L.Dropout(0.25),
                L.Conv2D(64, (3, 3), padding='same', activation='relu'),
                L.Conv2D(64, (3, 3), activation='relu'),
                L.MaxPooling2D(pool_size=(2, 2)), L.Dropout(0.25), L.Flatten(),
                L.Dense(512, activation='relu'), L.Dropout(0.5),
                L.Dense(10, activation='softmax')]
    return [L.Embedding(IMDB_VOCABULARY, IMDB_EMBEDDING, input_length=s.input_shape[0]),
            L.LSTM(LSTM_UNITS, recurrent_activation='sigmoid'),
            L.Dense(1, activation='sigmoid')]


def _keras_optimizer(optimizers, name):
    if spec(name).optimizer == 'rmsprop':
        return optimizers.RMSprop(learning_rate=1e-3, rho=0.9, epsilon=EPSILON)
    return optimizers.Adam(learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=EPSILON)


class KerasRunner:
    """train_on_batch / predict_on_batch on a compiled Keras-API model (gkeras or tf.keras)."""

    def __init__(self, model, x, y, synchronize):
        self.model, self.x, self.y = model, x, y
        self.synchronize = synchronize

    def train_step(self):
        return self.model.train_on_batch(self.x, self.y)

    def predict(self):
        return self.model.predict_on_batch(self.x)


def select_gkeras_backend(backend):
    """gkeras.backend.set_backend(backend), raising ImportError where CuPy has no GPU here."""
    import gkeras.backend as K
    from gkeras.backend import cupy_backend
    if backend == 'cupy' and not cupy_backend.is_available():
        raise ImportError('CuPy with a CUDA GPU is not available on this machine')
    return K.set_backend(backend)


def gkeras_runner(name, backend='numpy', seed=0):
    """The gkeras model on `backend` ('numpy' or 'cupy'); the batch already on the device.

    Raises ImportError naming the layers gkeras does not have yet.
    """
    from gkeras import layers, optimizers
    from gkeras.models import Sequential

    missing = missing_gkeras_layers(name)
    if missing:
        raise ImportError(f"gkeras.layers has no {', '.join(missing)} yet")
    active = select_gkeras_backend(backend)
    model = Sequential(_keras_layers(layers, name))
    model.compile(optimizer=_keras_optimizer(optimizers, name), loss=spec(name).loss)
    x, y = make_data(name, seed)
    return KerasRunner(model, active.asarray(x), active.asarray(y), active.synchronize)


def tf_runner(name, seed=0):
    """The tf.keras (tf_keras, Keras 2) model; train_on_batch runs its compiled tf.function."""
    os.environ.setdefault('TF_USE_LEGACY_KERAS', '1')
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
    try:
        import tf_keras as keras
    except ImportError:
        from tensorflow import keras
    model = keras.Sequential(_keras_layers(keras.layers, name))
    model.compile(optimizer=_keras_optimizer(keras.optimizers, name), loss=spec(name).loss)
    x, y = make_data(name, seed)
    # predict_on_batch returns host arrays, so finishing it means the device is done
    return KerasRunner(model, x, y, lambda: None)


# --------------------------------------------------------------------------- PyTorch

def _torch_module(nn, name):
    if name == 'mlp_b128':
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.2),
                             nn.Linear(512, 512), nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 10))
    if name == 'mnist_cnn_b128':
        return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(),
                             nn.Linear(64 * 12 * 12, 128), nn.ReLU(), nn.Dropout(0.5),
                             nn.Linear(128, 10))
    if name == 'cifar_cnn_b128':
        return nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(),
                             nn.Conv2d(32, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
                             nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
                             nn.Conv2d(64, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
                             nn.Flatten(), nn.Linear(64 * 6 * 6, 512), nn.ReLU(),
                             nn.Dropout(0.5), nn.Linear(512, 10))

    class ImdbLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(IMDB_VOCABULARY, IMDB_EMBEDDING)
            self.lstm = nn.LSTM(IMDB_EMBEDDING, LSTM_UNITS, batch_first=True)
            self.dense = nn.Linear(LSTM_UNITS, 1)

        def forward(self, tokens):
            _, (h, _) = self.lstm(self.embedding(tokens))
            return self.dense(h[-1])

    return ImdbLSTM()


class TorchRunner:
    """Eager PyTorch: zero_grad, forward, loss, backward, optimizer step; predict under no_grad."""

    def __init__(self, torch, module, optimizer, loss, output, x, y):
        self.torch = torch
        self.module, self.optimizer, self.loss, self.output = module, optimizer, loss, output
        self.x, self.y = x, y
        self.on_gpu = x.is_cuda

    def train_step(self):
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.loss(self.module(self.x), self.y)
        loss.backward()
        self.optimizer.step()
        return loss

    def predict(self):
        self.module.eval()
        with self.torch.no_grad():
            out = self.output(self.module(self.x)).cpu()
        self.module.train()
        return out

    def synchronize(self):
        if self.on_gpu:
            self.torch.cuda.synchronize()


def torch_runner(name, device='cpu', seed=0):
    """The PyTorch equivalent on `device` ('cpu' or 'cuda'), float32, TF32 off."""
    import torch
    from torch import nn

    if device == 'cuda':
        # float32 against float32: no TF32 in cuDNN convolutions or matmuls
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.benchmark = True
    torch.manual_seed(seed)
    s = spec(name)
    module = _torch_module(nn, name).to(device)
    if s.optimizer == 'rmsprop':
        optimizer = torch.optim.RMSprop(module.parameters(), lr=1e-3, alpha=0.9, eps=EPSILON)
    else:
        optimizer = torch.optim.Adam(module.parameters(), lr=1e-3, betas=(0.9, 0.999),
                                     eps=EPSILON)
    x, y = make_data(name, seed)
    if name == 'imdb_lstm_b32':
        x = torch.from_numpy(x.astype(np.int64))
        y = torch.from_numpy(y)
        loss, output = nn.BCEWithLogitsLoss(), torch.sigmoid
    else:
        x = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
        y = torch.from_numpy(y.astype(np.int64))
        loss, output = nn.CrossEntropyLoss(), lambda logits: torch.softmax(logits, dim=-1)
    return TorchRunner(torch, module, optimizer, loss, output, x.to(device), y.to(device))
