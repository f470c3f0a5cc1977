"""Keras 2 optimizers, updating parameters in place on the device.

Signatures, defaults, config keys and the order of `weights` are Keras 2.2's; the update rules
are tf_keras 2.21's where the two differ (Adagrad's accumulators starting at 0.1, clipnorm
clipping each gradient by its own norm). Where tf_keras' Keras-2-style classes
(tf_keras.optimizers.legacy, the ones taking `lr` and `decay`) and its newer default classes
differ, the legacy ones are the reference: RMSprop and Adagrad add epsilon outside the square
root, as Keras 2.2 does (the default classes add it inside; Adadelta adds it inside in all).
`decay` scales the learning rate by 1 / (1 + decay * iterations), as Keras 2 does.

The training loop calls `opt.apply_gradients(params, grads)`: params are autodiff Variables,
grads raw backend arrays (never written to). Slots are created on the first call (or by
`build(params)`).

The updates run in place, with `out=` into the slots and into scratch buffers kept across steps,
so a step allocates no arrays of a parameter's size: fresh temporaries of that size cost more
than the arithmetic (glibc hands large freed blocks back to the kernel and every step faults
them in again). On NumPy the update goes over flat pieces of at most `_PIECE` elements, spread
over the CPU threads (backend.cpu_threads), each thread with two scratch buffers of that size:
each piece of a parameter, its gradient and slots stays in cache across the passes. Each element
sees the same float operations in the same order as the whole-array formulas, so the results are
bit for bit theirs, on any number of threads.
"""
import inspect
import numbers
import threading

import numpy as np

from . import backend as K
from .backend import autodiff as ad
from .backend import cpu_threads, selection

# Elements per piece of a NumPy update (1 MiB of float32 per scratch buffer).
_PIECE = 1 << 18


def _xp():
    return selection.active().xp


def _check(owner, name, value, low=0., high=None, high_open=False):
    """ValueError naming the argument when value is not a number in [low, high] (or [low, high))."""
    ok = isinstance(value, numbers.Real) and value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        bound = ''
        if high is not None:
            bound = f' and below {high}' if high_open else f' and at most {high}'
        raise ValueError(f"{owner}: `{name}` must be a number of at least {low}{bound}. "
                         f"Received: {name}={value!r}")
    return value


class Optimizer:
    """Base class: learning rate, decay, gradient clipping, iterations, slots and their state.

    Subclasses name their per-parameter slots in `_slot_names` (the order of `weights`) and
    implement `_update(param, grad, slots, c, s, t)`: in place on equally long flat pieces of
    the parameter, its gradient and its slots, with the scratch pieces `s` and `t`.
    """
    _slot_names = ()

    def __init__(self, lr, decay=0., **kwargs):
        owner = type(self).__name__
        if 'learning_rate' in kwargs:
            lr = kwargs.pop('learning_rate')
        unknown = sorted(set(kwargs) - {'clipnorm', 'clipvalue'})
        if unknown:
            raise TypeError(f"{owner}: unexpected keyword argument(s) "
                            f"{', '.join(map(repr, unknown))}. Allowed besides the optimizer's own "
                            "arguments: learning_rate, clipnorm, clipvalue.")
        for name in ('clipnorm', 'clipvalue'):
            if kwargs.get(name) is not None:
                setattr(self, name, _check(owner, name, kwargs[name]))
        _check(owner, 'lr', lr)
        _check(owner, 'decay', decay)
        backend = selection.active()
        self.iterations = ad.Variable(backend.xp.zeros((), dtype='int64'),
                                      name=f'{owner}/iterations', trainable=False)
        self._lr = ad.Variable(backend.asarray(lr, dtype=K.floatx()), name=f'{owner}/lr',
                               trainable=False)
        self.initial_decay = decay
        self.decay = decay
        self._params = []
        self._slots = {}            # id(param) -> (param, {slot name: Variable})
        self._pending_weights = None
        self._scratch = {}          # (dtype, thread) -> two flat scratch buffers of the update
        self._clipped = {}          # (shape, dtype) -> buffer of the clipped gradient

    # learning rate: a device scalar, so callbacks can change it between steps
    @property
    def lr(self):
        return self._lr

    @lr.setter
    def lr(self, value):
        self._lr.data[...] = selection.active().asarray(ad.raw(value), dtype=self._lr.dtype)

    learning_rate = lr

    # ----------------------------------------------------------------------------------------
    # state

    def _global_weights(self):
        """Optimizer-wide variables that follow `iterations` in `weights` (Nadam's m_schedule)."""
        return []

    def _slot_shape(self, slot_name, param):
        return param.shape

    def _slot_initial_value(self, slot_name):
        return 0.

    def _optional_slot_names(self):
        """Trailing slots a saved state may lack (Keras 2.2 writes them, tf.keras 2.x does not)."""
        return ()

    def build(self, params):
        """Create the slots of `params` that do not exist yet and make `params` the current list."""
        xp = _xp()
        for param in params:
            if id(param) in self._slots:
                continue
            index = len(self._slots)
            # The entry keeps `param` alive, so its id cannot be reused by another tensor.
            self._slots[id(param)] = (param, {
                name: ad.Variable(xp.full(self._slot_shape(name, param),
                                          self._slot_initial_value(name), dtype=param.dtype),
                                  name=f'{type(self).__name__}/{name}_{index}', trainable=False)
                for name in self._slot_names})
        self._params = list(params)
        if self._pending_weights is not None:
            pending, self._pending_weights = self._pending_weights, None
            self.set_weights(pending)

    @property
    def weights(self):
        """[iterations] + optimizer-wide variables + slots, kind by kind (Keras 2.2's order)."""
        slots = [self._slots[id(p)][1][name] for name in self._slot_names for p in self._params]
        return [self.iterations] + self._global_weights() + slots

    def get_weights(self):
        """Copies of the state as NumPy arrays (never views of the live device arrays)."""
        backend = selection.active()
        return [np.array(backend.to_numpy(w.data), copy=True) for w in self.weights]

    def set_weights(self, weights):
        """Restore the state saved by get_weights (before the first step it waits for build)."""
        weights = list(weights)
        fixed = 1 + len(self._global_weights())
        if not self._params and len(weights) > fixed:
            self._pending_weights = weights
            return
        variables = self.weights
        optional = len(self._optional_slot_names()) * len(self._params)
        if len(weights) not in (len(variables), len(variables) - optional):
            raise ValueError(f"{type(self).__name__}.set_weights: expected {len(variables)} arrays "
                             "(iterations, then the slots in Keras 2 order); received "
                             f"{len(weights)}.")
        backend = selection.active()
        for variable, value in zip(variables, weights):
            value = backend.asarray(value)
            if tuple(value.shape) != variable.shape:
                raise ValueError(f"{type(self).__name__}.set_weights: {variable.name} has shape "
                                 f"{variable.shape}; received an array of shape "
                                 f"{tuple(value.shape)}.")
            variable.data[...] = value.astype(variable.dtype, copy=False)

    # ----------------------------------------------------------------------------------------
    # updates

    def _clip(self, grad):
        """The clipped gradient, in a buffer kept for its shape (grad itself is not written)."""
        clipnorm = getattr(self, 'clipnorm', None)
        clipvalue = getattr(self, 'clipvalue', None)
        if not clipnorm and not clipvalue:
            return grad
        xp = _xp()
        key = (tuple(grad.shape), grad.dtype)
        out = self._clipped.get(key)
        if out is None:
            out = self._clipped[key] = xp.empty(grad.shape, dtype=grad.dtype)
        if clipnorm:
            # tf.clip_by_norm: each gradient by its own L2 norm
            norm = xp.sqrt(xp.sum(xp.square(grad, out=out)))
            limit = grad.dtype.type(clipnorm)
            xp.multiply(grad, limit, out=out)
            out /= xp.maximum(norm, limit)
            grad = out
        if clipvalue:
            grad = xp.clip(grad, -clipvalue, clipvalue, out=out)
        return grad

    def _coefficients(self, dtype):
        """Per-step scalars in `dtype`, on the device: the decayed learning rate and step count."""
        t = (self.iterations.data + 1).astype(dtype)
        lr = self._lr.data.astype(dtype)
        if self.decay:
            lr = lr / (1. + self.decay * self.iterations.data.astype(dtype))
        return {'lr': lr, 't': t}

    def _before_step(self):
        """Optimizer-wide state updated once per step, before the parameters (Nadam)."""

    def _update(self, param, grad, slots, c, s, t):
        raise NotImplementedError

    def _scratch_pair(self, dtype, size):
        """Two flat scratch buffers of at least `size` elements, kept across steps; one pair
        per thread that asks."""
        key = (dtype, threading.get_ident())
        pair = self._scratch.get(key)
        if pair is None or pair[0].size < size:
            xp = _xp()
            pair = self._scratch[key] = (xp.empty(size, dtype=dtype),
                                         xp.empty(size, dtype=dtype))
        return pair

    def _apply(self, param, grad, slots, c):
        """Run `_update` over flat pieces of param, grad and the slots of param's size (other
        slots, such as Adam's placeholder, pass whole); on CuPy over the whole arrays."""
        n = param.size
        if n == 0:
            return
        xp = _xp()
        contiguous = param.flags.c_contiguous
        flat = param.reshape(-1) if contiguous else xp.ascontiguousarray(param).reshape(-1)
        grad = grad.reshape(-1)
        slots = {name: (s.reshape(-1) if s.size == n else s) for name, s in slots.items()}
        piece = min(n, _PIECE) if xp is np else n
        if piece == n:
            s, t = self._scratch_pair(param.dtype, piece)
            self._update(flat, grad, slots, c, s[:n], t[:n])
        else:
            def work(share):
                s, t = self._scratch_pair(param.dtype, piece)
                for part in share:
                    size = part.stop - part.start
                    self._update(flat[part], grad[part],
                                 {name: (a[part] if a.size == n else a)
                                  for name, a in slots.items()},
                                 c, s[:size], t[:size])
            cpu_threads.run(cpu_threads.split(n, piece), work)
        if not contiguous:
            param[...] = flat.reshape(param.shape)

    def apply_gradients(self, params, grads):
        """One step: update each param in place from its gradient, then apply its constraint."""
        params, grads = list(params), list(grads)
        if len(params) != len(grads):
            raise ValueError(f"{type(self).__name__}.apply_gradients: {len(params)} params but "
                             f"{len(grads)} gradients.")
        if len(params) != len(self._params) or any(
                a is not b for a, b in zip(params, self._params)):
            self.build(params)
        with ad.no_grad():
            self._before_step()
            coefficients = {}
            for param, grad in zip(params, grads):
                if grad is None:
                    continue
                if tuple(grad.shape) != param.shape:
                    raise ValueError(f"{type(self).__name__}.apply_gradients: the gradient of "
                                     f"{param.name} has shape {tuple(grad.shape)}; expected "
                                     f"{param.shape}.")
                data = param.data
                if data.dtype not in coefficients:
                    coefficients[data.dtype] = self._coefficients(data.dtype)
                grad = self._clip(grad.astype(data.dtype, copy=False))
                slots = {name: v.data for name, v in self._slots[id(param)][1].items()}
                self._apply(data, grad, slots, coefficients[data.dtype])
                if param.constraint is not None:
                    data[...] = param.constraint(data)
            self.iterations.data += 1

    # ----------------------------------------------------------------------------------------
    # Keras 2's symbolic interface (custom training loops through K.function)

    def get_gradients(self, loss, params):
        """The gradients of `loss` with respect to `params` (symbolic for a symbolic loss),
        clipped as apply_gradients clips them (each by its own norm, then by value)."""
        grads = K.gradients(loss, params)
        clipnorm = getattr(self, 'clipnorm', None)
        clipvalue = getattr(self, 'clipvalue', None)
        if clipnorm:
            grads = [g * clipnorm / K.maximum(K.sqrt(K.sum(K.square(g))), clipnorm)
                     for g in grads]
        if clipvalue:
            grads = [K.clip(g, -clipvalue, clipvalue) for g in grads]
        return grads

    def get_updates(self, loss, params):
        """One optimizer step as an update for K.function(inputs, outputs, updates=...): each
        call computes the gradients of the symbolic `loss` with respect to `params` in the same
        run as the outputs, then applies them (apply_gradients: clipping, decay, constraints,
        iterations), as Keras 2's custom training loops do."""
        if not K.is_keras_tensor(loss):
            raise ValueError(f"{type(self).__name__}.get_updates: the loss must be a symbolic "
                             f"tensor (computed from a model's inputs or a placeholder); received "
                             f"{type(loss).__name__}. For a concrete loss, compute its gradients "
                             "(K.gradients) and call apply_gradients(params, grads).")
        params = list(params)
        return [_OptimizerStep(self, params, K.gradients(loss, params))]

    # ----------------------------------------------------------------------------------------
    # config

    def get_config(self):
        config = {}
        for name in ('clipnorm', 'clipvalue'):
            if hasattr(self, name):
                config[name] = getattr(self, name)
        return config

    def _lr_config(self):
        return {'lr': float(selection.active().to_numpy(self._lr.data))}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class SGD(Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum."""
    _slot_names = ('moment',)

    def __init__(self, lr=0.01, momentum=0., decay=0., nesterov=False, **kwargs):
        super().__init__(lr, decay, **kwargs)
        self.momentum = _check('SGD', 'momentum', momentum, 0., 1.)
        self.nesterov = bool(nesterov)

    def _optional_slot_names(self):
        return ('moment',) if not self.momentum else ()

    def _update(self, param, grad, slots, c, s, t):
        xp = _xp()
        step = xp.multiply(c['lr'], grad, out=s)
        if not self.momentum:
            param -= step
            return
        moment = slots['moment']
        moment *= self.momentum
        moment -= step
        if self.nesterov:
            xp.multiply(moment, self.momentum, out=t)
            t -= step
            param += t
        else:
            param += moment

    def get_config(self):
        return {**super().get_config(), **self._lr_config(), 'momentum': self.momentum,
                'decay': self.decay, 'nesterov': self.nesterov}


class RMSprop(Optimizer):
    """Divide the gradient by a running root mean square of recent gradients."""
    _slot_names = ('accumulator',)

    def __init__(self, lr=0.001, rho=0.9, epsilon=None, decay=0., **kwargs):
        super().__init__(lr, decay, **kwargs)
        self.rho = _check('RMSprop', 'rho', rho, 0., 1.)
        self.epsilon = K.epsilon() if epsilon is None else _check('RMSprop', 'epsilon', epsilon)

    def _update(self, param, grad, slots, c, s, t):
        xp = _xp()
        accumulator = slots['accumulator']
        accumulator *= self.rho
        xp.square(grad, out=s)
        s *= 1. - self.rho
        accumulator += s
        _step_over_root(xp, param, grad, accumulator, self.epsilon, c['lr'], s, t)

    def get_config(self):
        return {**super().get_config(), **self._lr_config(), 'rho': self.rho,
                'decay': self.decay, 'epsilon': self.epsilon}


class Adagrad(Optimizer):
    """Learning rates scaled per parameter by the root of the sum of its squared gradients."""
    _slot_names = ('accumulator',)

    def __init__(self, lr=0.01, epsilon=None, decay=0., initial_accumulator_value=0.1, **kwargs):
        super().__init__(lr, decay, **kwargs)
        self.epsilon = K.epsilon() if epsilon is None else _check('Adagrad', 'epsilon', epsilon)
        self.initial_accumulator_value = _check('Adagrad', 'initial_accumulator_value',
                                                initial_accumulator_value)

    def _slot_initial_value(self, slot_name):
        return self.initial_accumulator_value

    def _update(self, param, grad, slots, c, s, t):
        xp = _xp()
        accumulator = slots['accumulator']
        accumulator += xp.square(grad, out=s)
        _step_over_root(xp, param, grad, accumulator, self.epsilon, c['lr'], s, t)

    def get_config(self):
        config = {**super().get_config(), **self._lr_config(), 'decay': self.decay,
                  'epsilon': self.epsilon}
        if self.initial_accumulator_value != 0.1:
            config['initial_accumulator_value'] = self.initial_accumulator_value
        return config


class Adadelta(Optimizer):
    """Steps sized by running averages of squared gradients and of squared updates."""
    _slot_names = ('accumulator', 'delta_accumulator')

    def __init__(self, lr=1.0, rho=0.95, epsilon=None, decay=0., **kwargs):
        super().__init__(lr, decay, **kwargs)
        self.rho = _check('Adadelta', 'rho', rho, 0., 1.)
        self.epsilon = K.epsilon() if epsilon is None else _check('Adadelta', 'epsilon', epsilon)

    def _update(self, param, grad, slots, c, s, t):
        xp = _xp()
        accumulator, delta_accumulator = slots['accumulator'], slots['delta_accumulator']
        accumulator *= self.rho
        xp.square(grad, out=s)
        s *= 1. - self.rho
        accumulator += s
        # delta = sqrt(delta_accumulator + epsilon) * grad / sqrt(accumulator + epsilon), in t
        delta = xp.sqrt(xp.add(delta_accumulator, self.epsilon, out=t), out=t)
        delta *= grad
        delta /= xp.sqrt(xp.add(accumulator, self.epsilon, out=s), out=s)
        delta_accumulator *= self.rho
        xp.square(delta, out=s)
        s *= 1. - self.rho
        delta_accumulator += s
        param -= xp.multiply(c['lr'], delta, out=t)

    def get_config(self):
        return {**super().get_config(), **self._lr_config(), 'rho': self.rho,
                'decay': self.decay, 'epsilon': self.epsilon}


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015) and its AMSGrad variant (Reddi et al., 2018)."""
    _slot_names = ('m', 'v', 'vhat')

    def __init__(self, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=None, decay=0.,
                 amsgrad=False, **kwargs):
        super().__init__(lr, decay, **kwargs)
        self.beta_1 = _check('Adam', 'beta_1', beta_1, 0., 1., high_open=True)
        self.beta_2 = _check('Adam', 'beta_2', beta_2, 0., 1., high_open=True)
        self.epsilon = K.epsilon() if epsilon is None else _check('Adam', 'epsilon', epsilon)
        self.amsgrad = bool(amsgrad)

    def _slot_shape(self, slot_name, param):
        # Keras 2.2 keeps a (1,) placeholder for vhat when amsgrad is off.
        return (1,) if slot_name == 'vhat' and not self.amsgrad else param.shape

    def _optional_slot_names(self):
        return ('vhat',) if not self.amsgrad else ()

    def _coefficients(self, dtype):
        c = super()._coefficients(dtype)
        xp = _xp()
        t = c['t']
        one = dtype.type(1)
        c['alpha'] = c['lr'] * xp.sqrt(one - xp.power(dtype.type(self.beta_2), t)) / (
            one - xp.power(dtype.type(self.beta_1), t))
        return c

    def _update(self, param, grad, slots, c, s, t):
        xp = _xp()
        m, v = slots['m'], slots['v']
        _moments(xp, grad, m, v, self.beta_1, self.beta_2, s)
        if self.amsgrad:
            vhat = slots['vhat']
            xp.maximum(vhat, v, out=vhat)
            v = vhat
        # param -= m * alpha / (sqrt(v) + epsilon)
        xp.sqrt(v, out=s)
        s += self.epsilon
        xp.multiply(m, c['alpha'], out=t)
        t /= s
        param -= t

    def get_config(self):
        return {**super().get_config(), **self._lr_config(), 'beta_1': self.beta_1,
                'beta_2': self.beta_2, 'decay': self.decay, 'epsilon': self.epsilon,
                'amsgrad': self.amsgrad}


class Adamax(Optimizer):
    """Adam with the infinity norm in place of the second moment."""
    _slot_names = ('m', 'u')

    def __init__(self, lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=None, decay=0., **kwargs):
        super().__init__(lr, decay, **kwargs)
        self.beta_1 = _check('Adamax', 'beta_1', beta_1, 0., 1., high_open=True)
        self.beta_2 = _check('Adamax', 'beta_2', beta_2, 0., 1., high_open=True)
        self.epsilon = K.epsilon() if epsilon is None else _check('Adamax', 'epsilon', epsilon)

    def _coefficients(self, dtype):
        c = super()._coefficients(dtype)
        c['lr_t'] = c['lr'] / (dtype.type(1) - _xp().power(dtype.type(self.beta_1), c['t']))
        return c

    def _update(self, param, grad, slots, c, s, t):
        xp = _xp()
        m, u = slots['m'], slots['u']
        m += _scaled_difference(xp, grad, m, 1. - self.beta_1, s)
        u *= self.beta_2
        xp.maximum(u, xp.abs(grad, out=s), out=u)
        # param -= lr_t * m / (u + epsilon)
        xp.multiply(c['lr_t'], m, out=t)
        t /= xp.add(u, self.epsilon, out=s)
        param -= t

    def get_config(self):
        return {**super().get_config(), **self._lr_config(), 'beta_1': self.beta_1,
                'beta_2': self.beta_2, 'decay': self.decay, 'epsilon': self.epsilon}


class Nadam(Optimizer):
    """Adam with Nesterov momentum (Dozat, 2016).

    The momentum schedule is beta_1 * (1 - 0.5 * 0.96 ** (t * schedule_decay)): Keras 2's and
    tf.keras 2.x's legacy Nadam with the default 0.004; tf_keras 2.21's default Nadam class is
    the same rule with schedule_decay=1.
    """
    _slot_names = ('m', 'v')

    def __init__(self, lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=None, schedule_decay=0.004,
                 **kwargs):
        super().__init__(lr, 0., **kwargs)
        self.beta_1 = _check('Nadam', 'beta_1', beta_1, 0., 1., high_open=True)
        self.beta_2 = _check('Nadam', 'beta_2', beta_2, 0., 1., high_open=True)
        self.epsilon = K.epsilon() if epsilon is None else _check('Nadam', 'epsilon', epsilon)
        self.schedule_decay = _check('Nadam', 'schedule_decay', schedule_decay)
        self.m_schedule = ad.Variable(selection.active().xp.ones((), dtype=K.floatx()),
                                      name='Nadam/m_schedule', trainable=False)

    def _global_weights(self):
        return [self.m_schedule]

    def _momentum_cache(self, t, dtype):
        exponent = t * dtype.type(self.schedule_decay)
        return dtype.type(self.beta_1) * (
            dtype.type(1) - dtype.type(0.5) * _xp().power(dtype.type(0.96), exponent))

    def _before_step(self):
        schedule = self.m_schedule.data
        t = (self.iterations.data + 1).astype(schedule.dtype)
        schedule *= self._momentum_cache(t, schedule.dtype)

    def _coefficients(self, dtype):
        c = super()._coefficients(dtype)
        t = c['t']
        one = dtype.type(1)
        c['momentum_cache'] = self._momentum_cache(t, dtype)
        c['momentum_cache_next'] = self._momentum_cache(t + one, dtype)
        c['schedule'] = self.m_schedule.data.astype(dtype)
        c['schedule_next'] = c['schedule'] * c['momentum_cache_next']
        c['v_correction'] = one - _xp().power(dtype.type(self.beta_2), t)
        c['one_minus_schedule_next'] = one - c['schedule_next']
        c['one_minus_momentum_cache'] = one - c['momentum_cache']
        c['one_minus_schedule'] = one - c['schedule']
        return c

    def _update(self, param, grad, slots, c, s, t):
        xp = _xp()
        m, v = slots['m'], slots['v']
        _moments(xp, grad, m, v, self.beta_1, self.beta_2, s)
        # m_bar = (momentum_cache_next * m / (1 - schedule_next)
        #          + (1 - momentum_cache) * grad / (1 - schedule)), in t
        m_bar = xp.multiply(c['momentum_cache_next'], m, out=t)
        m_bar /= c['one_minus_schedule_next']
        xp.multiply(c['one_minus_momentum_cache'], grad, out=s)
        s /= c['one_minus_schedule']
        m_bar += s
        # param -= lr * m_bar / (sqrt(v / v_correction) + epsilon)
        xp.sqrt(xp.divide(v, c['v_correction'], out=s), out=s)
        s += self.epsilon
        xp.multiply(c['lr'], m_bar, out=t)
        t /= s
        param -= t

    def get_config(self):
        return {**super().get_config(), **self._lr_config(), 'beta_1': self.beta_1,
                'beta_2': self.beta_2, 'epsilon': self.epsilon,
                'schedule_decay': self.schedule_decay}


def _step_over_root(xp, param, grad, accumulator, epsilon, lr, s, t):
    """param -= lr * grad / (sqrt(accumulator) + epsilon) (RMSprop, Adagrad): epsilon outside
    the root, as Keras 2.2 and tf.keras' Keras-2 classes (optimizers.legacy) put it; tf_keras'
    newer default classes, which take no `lr` or `decay`, put it inside."""
    xp.sqrt(accumulator, out=s)
    s += epsilon
    xp.multiply(lr, grad, out=t)
    t /= s
    param -= t


def _scaled_difference(xp, a, b, scale, out):
    """(a - b) * scale, in out."""
    xp.subtract(a, b, out=out)
    out *= scale
    return out


def _moments(xp, grad, m, v, beta_1, beta_2, s):
    """Adam's moments: m += (grad - m) * (1 - beta_1); v += (grad**2 - v) * (1 - beta_2)."""
    m += _scaled_difference(xp, grad, m, 1. - beta_1, s)
    v += _scaled_difference(xp, xp.square(grad, out=s), v, 1. - beta_2, s)


class _OptimizerStep:
    """Optimizer.get_updates' update: the gradients to fetch, then apply_gradients."""

    def __init__(self, optimizer, params, grads):
        self.optimizer = optimizer
        self.params = params
        self.fetches = list(grads)

    def apply(self, values):
        self.optimizer.apply_gradients(self.params, [ad.raw(v) for v in values])


_OPTIMIZERS = {'sgd': SGD, 'rmsprop': RMSprop, 'adagrad': Adagrad, 'adadelta': Adadelta,
               'adam': Adam, 'adamax': Adamax, 'nadam': Nadam}
# Keras 2's lower-case aliases (`optimizers.adam(lr=1e-3)`)
sgd, rmsprop, adagrad, adadelta, adam, adamax, nadam = (
    SGD, RMSprop, Adagrad, Adadelta, Adam, Adamax, Nadam)

# Keys tf.keras 2.x writes into optimizer configs, with the values under which they change nothing.
_NEUTRAL = {
    'name': None, 'is_legacy_optimizer': None, 'jit_compile': None,
    'weight_decay': (None, 0, 0.), 'global_clipnorm': (None,), 'use_ema': (False,),
    'momentum': (0, 0.), 'centered': (False,),
    'loss_scale_factor': (None,), 'gradient_accumulation_steps': (None,),
}
_EMA_KEYS = ('ema_momentum', 'ema_overwrite_frequency')  # meaningless while use_ema is False


def _from_tf_keras(cls, config):
    """Keras 2.2 constructor arguments from a config that may be in tf.keras 2.x's dialect."""
    config = dict(config)
    if 'learning_rate' in config:
        value = config.pop('learning_rate')
        if isinstance(value, dict):
            raise ValueError(f"{cls.__name__}: learning-rate schedules are not supported; "
                             f"received learning_rate={value!r}.")
        config['lr'] = value
    if cls is Nadam and 'decay' in config:
        # tf.keras' legacy Nadam writes schedule_decay under the name `decay`.
        config.setdefault('schedule_decay', config.pop('decay'))
    if cls is Nadam and config.get('is_legacy_optimizer') is False:
        # tf.keras 2.11+'s Nadam (and Keras 3's) use the momentum schedule 0.96 ** t.
        config.setdefault('schedule_decay', 1.0)
    own = inspect.signature(cls.__init__).parameters
    for key in ('clipnorm', 'clipvalue'):
        if key in config and config[key] is None:
            del config[key]
    if not config.get('use_ema'):
        for key in _EMA_KEYS:
            config.pop(key, None)
    for key, neutral in _NEUTRAL.items():
        if key in own or key not in config:
            continue
        value = config.pop(key)
        if neutral is not None and value not in neutral:
            raise ValueError(f"{cls.__name__}: the tf.keras option {key}={value!r} "
                             "is not supported.")
    return config


def serialize(optimizer):
    """The Keras 2 config dict: {'class_name': 'Adam', 'config': {...}}."""
    return {'class_name': type(optimizer).__name__, 'config': optimizer.get_config()}


def deserialize(config, custom_objects=None):
    """An optimizer from {'class_name', 'config'} (Keras 2 or tf.keras 2.x; any letter case)."""
    class_name = config.get('class_name')
    arguments = config.get('config') or {}
    if custom_objects and class_name in custom_objects:
        return custom_objects[class_name].from_config(arguments)
    # tf.keras 2.11+ registers its built-in optimizers as 'Custom>Adam' and so on.
    cls = _OPTIMIZERS.get(str(class_name).lower().replace('custom>', '', 1))
    if cls is None:
        raise ValueError(f"Unknown optimizer: {class_name!r}. "
                         f"Expected one of: {', '.join(c.__name__ for c in _OPTIMIZERS.values())}.")
    return cls.from_config(_from_tf_keras(cls, arguments))


def get(identifier):
    """An optimizer from a name (default arguments), a config dict or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return deserialize({'class_name': identifier, 'config': {}})
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}.")
