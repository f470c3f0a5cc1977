"""BatchNormalization with Keras 2's arguments and weights and tf.keras 2.x's numbers."""
from .. import constraints, initializers, regularizers
from .. import backend as K
from ..backend import autodiff as ad
from ..legacy import legacy_interface
from .base import InputSpec, Layer


class BatchNormalization(Layer):
    """Normalizes each feature along `axis` to zero mean and unit variance, then scales by gamma
    and shifts by beta.

    Training uses the batch's statistics and moves moving_mean / moving_variance towards them
    (`moving = moving * momentum + batch * (1 - momentum)`); inference uses the moving ones.
    The batch variance that moves moving_variance is the biased one, except where tf.keras 2.x
    runs its fused kernel (4-D inputs with axis 1 or 3, 5-D with axis 1 or 4), whose variance is
    unbiased (n / (n - 1)); the normalization itself always uses the biased variance. A layer
    with trainable=False always runs in inference mode (tf.keras 2.x).
    """

    @legacy_interface('batchnorm')
    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer='zeros', gamma_initializer='ones',
                 moving_mean_initializer='zeros', moving_variance_initializer='ones',
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        if isinstance(axis, (list, tuple)):
            if len(axis) != 1:
                raise ValueError(f"BatchNormalization layer {self.name!r} normalizes along one "
                                 f"axis; received axis={axis!r}.")
            axis = axis[0]
        if not isinstance(axis, int):
            raise TypeError(f"BatchNormalization layer {self.name!r}: `axis` must be an "
                            f"integer; received axis={axis!r}.")
        self.axis = axis
        self.momentum = momentum
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)

    def build(self, input_shape):
        rank = len(input_shape)
        if not -rank <= self.axis < rank:
            raise ValueError(f"BatchNormalization layer {self.name!r}: axis={self.axis} is out "
                             f"of range for an input of shape {tuple(input_shape)}.")
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(f"Axis {self.axis} of the input to BatchNormalization layer "
                             f"{self.name!r} should have a defined dimension, but the layer "
                             f"received an input with shape {tuple(input_shape)}.")
        self.input_spec = InputSpec(ndim=rank, axes={self.axis: dim})
        shape = (dim,)
        self.gamma = self.add_weight('gamma', shape, initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint) if self.scale else None
        self.beta = self.add_weight('beta', shape, initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint) if self.center else None
        self.moving_mean = self.add_weight('moving_mean', shape,
                                           initializer=self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight('moving_variance', shape,
                                               initializer=self.moving_variance_initializer,
                                               trainable=False)
        axis = self.axis % rank
        self._fused_variance = (rank == 4 and axis in (1, 3)) or (rank == 5 and axis in (1, 4))
        self.built = True

    def _broadcast(self, tensor, ndim, axis):
        if axis == ndim - 1:
            return tensor
        return K.reshape(tensor, [-1 if i == axis else 1 for i in range(ndim)])

    def call(self, inputs, training=None):
        ndim = inputs.ndim
        axis = self.axis % ndim
        reduction = [i for i in range(ndim) if i != axis]
        if training is None:
            training = K.learning_phase()
        # tf.keras 2.x: a frozen BatchNormalization runs in inference mode, even while training
        if training and self.trainable:
            mean = K.mean(inputs, axis=reduction, keepdims=True)
            centered = inputs - mean
            variance = K.mean(K.square(centered), axis=reduction, keepdims=True)
            normalized = centered / K.sqrt(variance + self.epsilon)
            self._update_moving_statistics(mean, variance, inputs.size // inputs.shape[axis])
        else:
            mean = self._broadcast(self.moving_mean, ndim, axis)
            variance = self._broadcast(self.moving_variance, ndim, axis)
            normalized = (inputs - mean) / K.sqrt(variance + self.epsilon)
        if self.scale:
            normalized = normalized * self._broadcast(self.gamma, ndim, axis)
        if self.center:
            normalized = normalized + self._broadcast(self.beta, ndim, axis)
        return normalized

    def _update_moving_statistics(self, mean, variance, count):
        mean = ad.raw(mean).reshape(-1)
        variance = ad.raw(variance).reshape(-1)
        if self._fused_variance and count > 1:
            variance = variance * (count / (count - 1))
        decay = 1 - self.momentum
        for moving, value in ((self.moving_mean, mean), (self.moving_variance, variance)):
            moving.data[...] = moving.data - (moving.data - value.astype(moving.dtype)) * decay

    def get_config(self):
        config = {
            'axis': self.axis,
            'momentum': self.momentum,
            'epsilon': self.epsilon,
            'center': self.center,
            'scale': self.scale,
            'beta_initializer': initializers.serialize(self.beta_initializer),
            'gamma_initializer': initializers.serialize(self.gamma_initializer),
            'moving_mean_initializer': initializers.serialize(self.moving_mean_initializer),
            'moving_variance_initializer':
                initializers.serialize(self.moving_variance_initializer),
            'beta_regularizer': regularizers.serialize(self.beta_regularizer),
            'gamma_regularizer': regularizers.serialize(self.gamma_regularizer),
            'beta_constraint': constraints.serialize(self.beta_constraint),
            'gamma_constraint': constraints.serialize(self.gamma_constraint),
        }
        return {**super().get_config(), **config}
