"""InputLayer and Input: the entry points of a model graph."""
from .. import backend as K
from ..legacy import legacy_interface
from .base import KerasTensor, Layer, Node, normalize_shape


class InputLayer(Layer):
    """The layer behind `Input`: it has no weights and one node with no inbound layers."""

    @legacy_interface('input')
    def __init__(self, input_shape=None, batch_size=None, batch_input_shape=None, dtype=None,
                 input_tensor=None, sparse=False, name=None, ragged=False, **kwargs):
        if not name:
            name = f'input_{K.get_uid("input")}'
        if sparse or ragged:
            raise ValueError(f"InputLayer {name!r}: sparse and ragged inputs are not supported; "
                             f"received sparse={sparse}, ragged={ragged}.")
        super().__init__(name=name, dtype=dtype or K.floatx())
        if batch_input_shape is None:
            if input_shape is None:
                if input_tensor is None:
                    raise ValueError(f"InputLayer {name!r}: an `input_shape` or a "
                                     "`batch_input_shape` is required.")
                batch_input_shape = K.int_shape(input_tensor)
            else:
                batch_input_shape = (batch_size,) + normalize_shape(input_shape)
        self.batch_input_shape = normalize_shape(batch_input_shape)
        self.sparse = False
        self.built = True
        output = KerasTensor(self.batch_input_shape, self.dtype, (self, 0, 0), name=self.name)
        Node(self, inbound_layers=[], node_indices=[], tensor_indices=[], input_tensors=[output],
             output_tensors=[output], input_shapes=[self.batch_input_shape],
             output_shapes=[self.batch_input_shape])

    def get_config(self):
        return {'batch_input_shape': self.batch_input_shape, 'dtype': self.dtype,
                'sparse': self.sparse, 'name': self.name}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop('ragged', None)
        return cls(**config)


def Input(shape=None, batch_shape=None, name=None, dtype=None, sparse=False, tensor=None):
    """A symbolic input tensor for a functional model: `x = Input(shape=(32,))`."""
    if shape is None and batch_shape is None and tensor is None:
        raise ValueError("Please provide to Input either a `shape` or a `batch_shape` argument. "
                         "Note that `shape` does not include the batch dimension.")
    if batch_shape is None and shape is not None:
        batch_shape = (None,) + normalize_shape(shape)
    layer = InputLayer(batch_input_shape=batch_shape, name=name, dtype=dtype, sparse=sparse,
                       input_tensor=tensor)
    return layer._inbound_nodes[0].output_tensors[0]
