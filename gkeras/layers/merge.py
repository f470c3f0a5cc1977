"""Merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot) and their
functional forms (add, subtract, ...), with Keras 2's shape rules and mask merging."""
from .. import backend as K
from ..backend import selection
from .base import Layer


def _shapes_text(shapes):
    return ', '.join(str(tuple(s)) for s in shapes)


class _Merge(Layer):
    """Elementwise merge of a list of tensors; inputs of lower rank are broadcast by adding axes
    after the batch axis, as in Keras 2."""

    _MIN_INPUTS = 2

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def _merge_function(self, inputs):
        raise NotImplementedError

    def _broadcast_shape(self, shape1, shape2, shapes):
        if shape1 is None or shape2 is None:
            return None
        if len(shape1) < len(shape2):
            shape1, shape2 = shape2, shape1
        if not shape2:
            return tuple(shape1)
        output = list(shape1[:len(shape1) - len(shape2)])
        for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
            if i is None or j is None:
                output.append(None)
            elif i == 1:
                output.append(j)
            elif j == 1 or i == j:
                output.append(i)
            else:
                raise ValueError(f"Layer {self.name!r} ({type(self).__name__}): operands could "
                                 f"not be broadcast together with shapes {_shapes_text(shapes)}.")
        return tuple(output)

    def _check_inputs(self, input_shape):
        """Validate the list of input shapes; returns the output shape without the batch axis."""
        if not isinstance(input_shape, list) or (input_shape and not isinstance(
                input_shape[0], (list, tuple))):
            raise ValueError(f"Layer {self.name!r} ({type(self).__name__}) should be called on a "
                             f"list of at least {self._MIN_INPUTS} inputs; received a single "
                             f"input of shape {input_shape}.")
        if len(input_shape) < self._MIN_INPUTS:
            raise ValueError(f"Layer {self.name!r} ({type(self).__name__}) should be called on a "
                             f"list of at least {self._MIN_INPUTS} inputs. Got "
                             f"{len(input_shape)} inputs.")
        batch_sizes = {s[0] for s in input_shape if s[0] is not None}
        if len(batch_sizes) > 1:
            raise ValueError(f"Layer {self.name!r} ({type(self).__name__}) can not merge tensors "
                             "with different batch sizes. Got tensors with shapes: "
                             f"{_shapes_text(input_shape)}")
        output = tuple(input_shape[0][1:])
        for shape in input_shape[1:]:
            output = self._broadcast_shape(output, tuple(shape[1:]), input_shape)
        return output

    def build(self, input_shape):
        self._check_inputs(input_shape)
        self.built = True

    def call(self, inputs):
        self._check_inputs([tuple(x.shape) for x in inputs])
        rank = max(x.ndim for x in inputs)
        expanded = []
        for x in inputs:
            while x.ndim < rank:
                x = K.expand_dims(x, 1)
            expanded.append(x)
        return self._merge_function(expanded)

    def compute_output_shape(self, input_shape):
        output = self._check_inputs(input_shape)
        batch_sizes = {s[0] for s in input_shape if s[0] is not None}
        batch = batch_sizes.pop() if batch_sizes else None
        return (batch,) + output

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        masks = [m for m in mask if m is not None]
        if not masks:
            return None
        xp = selection.active().xp
        return xp.all(xp.stack([xp.asarray(m, dtype=bool) for m in masks]), axis=0)


class Add(_Merge):
    """Sum of the inputs."""

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output


class Subtract(_Merge):
    """inputs[0] - inputs[1] (exactly two inputs)."""

    def _check_inputs(self, input_shape):
        if isinstance(input_shape, list) and len(input_shape) != 2:
            raise ValueError(f"Layer {self.name!r} (Subtract) should be called on exactly 2 "
                             f"inputs; received {len(input_shape)} inputs.")
        return super()._check_inputs(input_shape)

    def _merge_function(self, inputs):
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    """Elementwise product of the inputs."""

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = output * x
        return output


class Average(_Merge):
    """Elementwise mean of the inputs."""

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output / len(inputs)


class Maximum(_Merge):
    """Elementwise maximum of the inputs."""

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = K.maximum(output, x)
        return output


class Minimum(_Merge):
    """Elementwise minimum of the inputs."""

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = K.minimum(output, x)
        return output


class Concatenate(_Merge):
    """Concatenation of the inputs along `axis`; every other axis must match."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def _check_inputs(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) < 2 or not isinstance(
                input_shape[0], (list, tuple)):
            count = len(input_shape) if isinstance(input_shape, list) else 1
            raise ValueError(f"Layer {self.name!r} (Concatenate) should be called on a list of "
                             f"at least 2 inputs; received {count}.")
        ranks = {len(s) for s in input_shape}
        if len(ranks) > 1:
            raise ValueError(f"Layer {self.name!r} (Concatenate) requires inputs of the same "
                             f"rank. Got inputs shapes: {_shapes_text(input_shape)}")
        rank = ranks.pop()
        if not -rank <= self.axis < rank:
            raise ValueError(f"Layer {self.name!r} (Concatenate): axis={self.axis} is out of "
                             f"range for inputs of rank {rank}. Got inputs shapes: "
                             f"{_shapes_text(input_shape)}")
        axis = self.axis % rank
        for i in range(rank):
            sizes = {s[i] for s in input_shape if s[i] is not None}
            if i != axis and len(sizes) > 1:
                raise ValueError(f"Layer {self.name!r} (Concatenate) requires inputs with "
                                 f"matching shapes except for the concat axis (axis={self.axis})."
                                 f" Got inputs shapes: {_shapes_text(input_shape)}")
        return axis

    def call(self, inputs):
        self._check_inputs([tuple(x.shape) for x in inputs])
        return K.concatenate(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape):
        axis = self._check_inputs(input_shape)
        output = []
        for i in range(len(input_shape[0])):
            sizes = [s[i] for s in input_shape]
            if i == axis:
                output.append(None if None in sizes else sum(sizes))
            else:
                known = [n for n in sizes if n is not None]
                output.append(known[0] if known else None)
        return tuple(output)

    def compute_mask(self, inputs, mask=None):
        if mask is None or all(m is None for m in mask):
            return None
        xp = selection.active().xp
        masks = []
        for x, m in zip(inputs, mask):
            if m is None:
                masks.append(xp.ones(x.shape, dtype=bool))
                continue
            m = xp.asarray(m, dtype=bool)
            if m.ndim < x.ndim:
                m = xp.broadcast_to(m.reshape(m.shape + (1,) * (x.ndim - m.ndim)), x.shape)
            masks.append(m)
        return xp.all(xp.concatenate(masks, axis=self.axis), axis=-1)

    def get_config(self):
        return {**super().get_config(), 'axis': self.axis}


class Dot(_Merge):
    """Dot product of two tensors over `axes` for each sample (K.batch_dot); normalize=True takes
    the cosine (both inputs L2-normalized along their dot axes first)."""

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)) or len(axes) != 2:
                raise ValueError(f"Dot layer {self.name!r}: `axes` must be an integer or a list "
                                 f"of two integers. Received: axes={axes!r}")
            axes = list(axes)
        self.axes = axes
        self.normalize = normalize

    def _axes(self, shapes):
        if isinstance(self.axes, int):
            return [self.axes % len(s) if self.axes < 0 else self.axes for s in shapes]
        return [a % len(s) if a < 0 else a for a, s in zip(self.axes, shapes)]

    def _check_inputs(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) != 2 or not isinstance(
                input_shape[0], (list, tuple)):
            raise ValueError(f"Layer {self.name!r} (Dot) should be called on a list of 2 "
                             f"inputs; received {input_shape!r}.")
        axes = self._axes(input_shape)
        for axis, shape in zip(axes, input_shape):
            if not 0 < axis < len(shape):
                raise ValueError(f"Layer {self.name!r} (Dot): axes={self.axes} is out of range "
                                 f"for inputs of shapes {_shapes_text(input_shape)} (the batch "
                                 "axis cannot be contracted).")
        first, second = input_shape[0][axes[0]], input_shape[1][axes[1]]
        if first is not None and second is not None and first != second:
            raise ValueError(f"Layer {self.name!r} (Dot): dimension incompatibility {first} != "
                             f"{second}. Layer shapes: {_shapes_text(input_shape)}")
        return axes

    def call(self, inputs):
        x1, x2 = inputs
        axes = self._check_inputs([tuple(x1.shape), tuple(x2.shape)])
        if self.normalize:
            x1 = K.l2_normalize(x1, axis=axes[0])
            x2 = K.l2_normalize(x2, axis=axes[1])
        return K.batch_dot(x1, x2, axes)

    def compute_output_shape(self, input_shape):
        axes = self._check_inputs(input_shape)
        shape1, shape2 = list(input_shape[0]), list(input_shape[1])
        shape1.pop(axes[0])
        shape2.pop(axes[1])
        shape2.pop(0)
        output = shape1 + shape2
        if len(output) == 1:
            output += [1]
        return tuple(output)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), 'axes': self.axes, 'normalize': self.normalize}


def add(inputs, **kwargs):
    """Functional form of Add: `add([x1, x2])`."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional form of Subtract: `subtract([x1, x2])`."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional form of Multiply."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional form of Average."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional form of Maximum."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional form of Minimum."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of Concatenate: `concatenate([x1, x2], axis=-1)`."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes, normalize=False, **kwargs):
    """Functional form of Dot: `dot([x1, x2], axes=1)`."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
