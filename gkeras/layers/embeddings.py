"""Embedding: integer indices to dense vectors, optionally masking index 0."""
import numpy as np

from .. import constraints, initializers, regularizers
from .. import backend as K
from ..backend import autodiff as ad
from ..legacy import legacy_interface
from .base import Layer


class Embedding(Layer):
    """Looks up row `i` of an (input_dim, output_dim) table for every index `i` of the input.

    Args:
        input_dim: size of the vocabulary (largest index + 1).
        output_dim: size of each vector.
        mask_zero: index 0 is padding; the layer emits a mask (False there) for the layers
            downstream, and index 0 must then not be a real word (input_dim = vocabulary + 1).
        input_length: the (fixed) length of the sequences, needed by Flatten -> Dense after it.
    """

    @legacy_interface('embedding')
    def __init__(self, input_dim, output_dim, embeddings_initializer='uniform',
                 embeddings_regularizer=None, activity_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, input_length=None, **kwargs):
        if 'input_shape' not in kwargs and 'batch_input_shape' not in kwargs:
            if isinstance(input_length, (list, tuple)):
                kwargs['input_shape'] = tuple(input_length)
            else:
                kwargs['input_shape'] = (input_length,) if input_length else (None,)
        super().__init__(**kwargs)
        for argument, value in (('input_dim', input_dim), ('output_dim', output_dim)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"Both `input_dim` and `output_dim` of Embedding layer "
                                 f"{self.name!r} should be positive integers. Received: "
                                 f"{argument}={value!r}")
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        self.input_length = input_length

    def build(self, input_shape):
        self.embeddings = self.add_weight('embeddings', (self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)
        self.built = True

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return ad.raw(inputs) != 0

    def compute_output_shape(self, input_shape):
        if self.input_length is None:
            return tuple(input_shape) + (self.output_dim,)
        lengths = list(self.input_length) if isinstance(self.input_length, (list, tuple)) \
            else [self.input_length]
        if len(lengths) != len(input_shape) - 1:
            raise ValueError(f"Embedding layer {self.name!r}: `input_length` is "
                             f"{self.input_length}, but the received input has shape "
                             f"{tuple(input_shape)}.")
        for i, (expected, received) in enumerate(zip(lengths, input_shape[1:])):
            if expected is not None and received is not None and expected != received:
                raise ValueError(f"Embedding layer {self.name!r}: `input_length` is "
                                 f"{self.input_length}, but the received input has shape "
                                 f"{tuple(input_shape)}.")
            if expected is None:
                lengths[i] = received
        return (input_shape[0],) + tuple(lengths) + (self.output_dim,)

    def call(self, inputs):
        indices = ad.raw(inputs)
        if indices.dtype.kind not in 'iu':
            indices = indices.astype('int64')
        # Checked on the host only: on a GPU the check would cost a device sync every batch.
        if isinstance(indices, np.ndarray) and indices.size and (
                indices.min() < 0 or indices.max() >= self.input_dim):
            raise ValueError(f"Embedding layer {self.name!r} received indices in "
                             f"[{indices.min()}, {indices.max()}]; expected indices in "
                             f"[0, {self.input_dim}) (input_dim={self.input_dim}).")
        return K.gather(self.embeddings, indices)

    def get_config(self):
        config = {
            'input_dim': self.input_dim,
            'output_dim': self.output_dim,
            'embeddings_initializer': initializers.serialize(self.embeddings_initializer),
            'embeddings_regularizer': regularizers.serialize(self.embeddings_regularizer),
            'activity_regularizer': regularizers.serialize(self.activity_regularizer),
            'embeddings_constraint': constraints.serialize(self.embeddings_constraint),
            'mask_zero': self.mask_zero,
            'input_length': self.input_length,
        }
        return {**super().get_config(), **config}
