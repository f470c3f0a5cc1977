"""InputLayer and Input: the entry points of a model graph."""
from .. import backend as K
from ..backend import autodiff as ad
from ..legacy import legacy_interface
from .base import KerasTensor, Layer, Node, normalize_shape


class InputLayer(Layer):
    """The layer behind `Input`: it has no weights and one node with no inbound layers.

    With an `input_tensor` that holds values (a K.variable, K.constant or array), the input
    is that tensor: graphs that use it read its values and need no data fed for it, as
    Keras 2's `Input(tensor=...)` (neural_doodle's masks). Its declared shape, when given,
    may leave dimensions unknown but must agree with the tensor's; the input takes the
    tensor's own shape, which the layers after it can then check and infer from.
    """

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
        self.constant = None
        if input_tensor is not None and not isinstance(input_tensor, KerasTensor):
            self.constant = ad.as_tensor(input_tensor)
            actual = tuple(self.constant.shape)
            if len(actual) != len(self.batch_input_shape) or any(
                    d is not None and d != a for d, a in zip(self.batch_input_shape, actual)):
                raise ValueError(f"InputLayer {name!r}: the input tensor has shape {actual}, "
                                 f"which does not match the declared shape "
                                 f"{self.batch_input_shape}.")
            self.batch_input_shape = actual
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
