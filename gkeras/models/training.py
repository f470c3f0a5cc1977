"""Model: a Network that compiles, trains, evaluates and predicts (the Keras 2 loops)."""
import numpy as np

from .. import backend as K
from .. import callbacks as callbacks_module
from .. import losses as losses_module
from .. import metrics as metrics_module
from .. import optimizers
from ..backend import autodiff as ad
from ..backend import config as backend_config
from ..layers.base import _to_list, collect_activity_losses
from .functional import Network

_ACCURACY = ('accuracy', 'acc')
_CROSSENTROPY = ('crossentropy', 'ce')


def _fn_name(fn):
    return getattr(fn, '__name__', type(fn).__name__)


class Model(Network):
    """A functional model: `Model(inputs, outputs)`, then compile / fit / evaluate / predict."""

    def __init__(self, inputs=None, outputs=None, name=None, **kwargs):
        super().__init__(inputs, outputs, name=name, **kwargs)
        self.optimizer = None
        self._compiled = False
        self.history = None

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer, loss=None, metrics=None, loss_weights=None,
                sample_weight_mode=None, weighted_metrics=None, target_tensors=None, **kwargs):
        """Configure training: optimizer, per-output losses, metrics and loss weights."""
        if kwargs:
            raise TypeError(f"compile() got unexpected keyword argument(s) {sorted(kwargs)}.")
        if target_tensors is not None:
            raise ValueError("compile: `target_tensors` is not supported by gkeras (eager "
                             "execution has no placeholders); pass targets to fit().")
        self._ensure_graph()
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        self.loss_functions = self._per_output(loss, 'loss', losses_module.get, required=True)
        self.loss_weights_list = self._per_output_weights(loss_weights)
        self.sample_weight_mode = sample_weight_mode
        self.sample_weight_modes = self._per_output(sample_weight_mode, 'sample_weight_mode',
                                                    lambda m: m, required=False)
        for mode in self.sample_weight_modes:
            if mode not in (None, 'temporal'):
                raise ValueError(f"sample_weight_mode must be None or 'temporal'; received "
                                 f"{mode!r}.")
        self._metric_specs = self._compile_metrics(metrics, weighted=False)
        self._metric_specs += self._compile_metrics(weighted_metrics, weighted=True)
        self.metrics = metrics
        multi = len(self.outputs) > 1
        self.metrics_names = ['loss']
        if multi:
            self.metrics_names += [f'{name}_loss' for name, fn in
                                   zip(self.output_names, self.loss_functions) if fn is not None]
        self.metrics_names += [spec[0] for spec in self._metric_specs]
        self._compiled = True

    def _per_output(self, value, what, resolve, required):
        names = self.output_names
        if isinstance(value, dict):
            unknown = sorted(set(value) - set(names))
            if unknown:
                raise ValueError(f"Unknown entries in {what} dictionary: {unknown}. Only "
                                 f"expected the following keys: {names}")
            values = [value.get(name) for name in names]
        elif isinstance(value, (list, tuple)):
            if len(value) != len(names):
                raise ValueError(f"When passing a list as {what}, it should have one entry per "
                                 f"model output. The model has {len(names)} output(s), but you "
                                 f"passed {what}={value!r}")
            values = list(value)
        else:
            if required and value is None:
                raise ValueError("compile() needs a `loss`: a name such as 'mse' or "
                                 "'categorical_crossentropy', a function, or a list/dict with "
                                 "one per output.")
            values = [value] * len(names)
        if required and all(v is None for v in values):
            raise ValueError(f"compile(): no loss was given for any output of {names}.")
        return [resolve(v) if v is not None else None for v in values]

    def _per_output_weights(self, loss_weights):
        names = self.output_names
        if loss_weights is None:
            return [1.] * len(names)
        if isinstance(loss_weights, dict):
            unknown = sorted(set(loss_weights) - set(names))
            if unknown:
                raise ValueError(f"Unknown entries in loss_weights dictionary: {unknown}. Only "
                                 f"expected the following keys: {names}")
            return [float(loss_weights.get(name, 1.)) for name in names]
        if isinstance(loss_weights, (list, tuple)):
            if len(loss_weights) != len(names):
                raise ValueError(f"When passing a list as loss_weights, it should have one entry "
                                 f"per model output. The model has {len(names)} outputs, but "
                                 f"you passed loss_weights={loss_weights!r}")
            return [float(w) for w in loss_weights]
        raise TypeError(f"Could not interpret loss_weights argument: {loss_weights!r} - "
                        "expected a list or a dict.")

    def _compile_metrics(self, metrics, weighted):
        """[(name, output_index, fn, weighted)] in Keras 2's order and naming."""
        names = self.output_names
        if metrics is None:
            return []
        if isinstance(metrics, dict):
            unknown = sorted(set(metrics) - set(names))
            if unknown:
                raise ValueError(f"Unknown entries in metrics dictionary: {unknown}. Only "
                                 f"expected the following keys: {names}")
            nested = [_to_list(metrics.get(name, [])) for name in names]
        elif isinstance(metrics, (list, tuple)) and metrics and all(
                isinstance(m, (list, tuple)) for m in metrics):
            if len(metrics) != len(names):
                raise ValueError(f"When passing a list of lists as metrics, it should have one "
                                 f"entry per model output; the model has {len(names)} outputs.")
            nested = [list(m) for m in metrics]
        else:
            nested = [_to_list(metrics)] * len(names)
        specs = []
        multi = len(names) > 1
        for index, output_metrics in enumerate(nested):
            for metric in output_metrics:
                fn, label = self._resolve_metric(metric, index)
                if weighted:
                    label = 'weighted_' + label
                if multi:
                    label = f'{names[index]}_{label}'
                specs.append((label, index, fn, weighted))
        return specs

    def _resolve_metric(self, metric, index):
        loss_fn = self.loss_functions[index]
        loss_name = _fn_name(loss_fn) if loss_fn is not None else ''
        if metric in _ACCURACY or metric in _CROSSENTROPY:
            output_shape = self.outputs[index]._keras_shape
            if output_shape[-1] == 1 or loss_name == 'binary_crossentropy':
                kind = 'binary'
            elif loss_name == 'sparse_categorical_crossentropy':
                kind = 'sparse_categorical'
            else:
                kind = 'categorical'
            suffix = 'accuracy' if metric in _ACCURACY else 'crossentropy'
            return metrics_module.get(f'{kind}_{suffix}'), metric
        fn = metrics_module.get(metric)
        label = metric if isinstance(metric, str) else _fn_name(fn)
        return fn, label

    # ------------------------------------------------------------------ data preparation
    def _ensure_graph(self, x=None):
        if not self.outputs:
            raise ValueError(f"Model {self.name!r} has no layers connected to inputs yet.")

    def _require_compiled(self):
        if not self._compiled:
            raise RuntimeError("You must compile your model before training/testing. Use "
                               "`model.compile(optimizer, loss)`.")

    def _standardize_inputs(self, x):
        arrays = _as_array_list(x, self.input_names, 'input')
        self._ensure_graph(arrays)
        checked = []
        for array, symbol, name in zip(arrays, self.inputs, self.input_names):
            array = _check_shape(array, symbol._keras_shape, name, 'input')
            checked.append(_cast(array, symbol.dtype))
        return checked

    def _standardize_targets(self, y):
        arrays = _as_array_list(y, self.output_names, 'target')
        checked = []
        for array, symbol, name, fn in zip(arrays, self.outputs, self.output_names,
                                           self.loss_functions):
            shape = symbol._keras_shape
            loss_name = _fn_name(fn) if fn is not None else ''
            if loss_name == 'sparse_categorical_crossentropy':
                if array.ndim == len(shape):
                    array = _check_shape(array, shape[:-1] + (1,), name, 'target')
                elif array.ndim != len(shape) - 1:
                    raise ValueError(f"Error when checking target: expected {name} to have "
                                     f"{len(shape) - 1} or {len(shape)} dimensions (integer class "
                                     f"indices), but got array with shape {array.shape}")
                checked.append(array)
                continue
            if loss_name == 'categorical_crossentropy' and array.shape[-1] == 1 and shape[-1] != 1:
                raise ValueError(
                    f"You are passing a target array of shape {array.shape} while using as loss "
                    "`categorical_crossentropy`. `categorical_crossentropy` expects targets to be "
                    "binary matrices (1s and 0s) of shape (samples, classes). If your targets are "
                    "integer classes, you can convert them to the expected format via "
                    "`from gkeras.utils import to_categorical; y_binary = to_categorical(y_int)`, "
                    "or use the loss `sparse_categorical_crossentropy` instead.")
            array = _check_shape(array, shape, name, 'target')
            checked.append(_cast(array, K.floatx()))
        return checked

    def _standardize_sample_weights(self, sample_weight, class_weight, ys):
        weights = []
        if isinstance(sample_weight, dict):
            per_output = [sample_weight.get(name) for name in self.output_names]
        elif isinstance(sample_weight, (list, tuple)):
            per_output = list(sample_weight)
        else:
            per_output = [sample_weight] * len(self.output_names)
        if isinstance(class_weight, dict) and set(class_weight) <= set(self.output_names) and \
                class_weight and len(self.output_names) > 1:
            class_weights = [class_weight.get(name) for name in self.output_names]
        else:
            class_weights = [class_weight] * len(self.output_names)
        for index, (y, sw, cw) in enumerate(zip(ys, per_output, class_weights)):
            mode = self.sample_weight_modes[index]
            if sw is not None:
                sw = np.asarray(_to_host(sw), dtype=K.floatx())
                expected_ndim = 2 if mode == 'temporal' else 1
                if sw.ndim != expected_ndim:
                    raise ValueError(f"Found a sample_weight array with shape {sw.shape} for "
                                     f"output {self.output_names[index]!r}; expected "
                                     f"{expected_ndim} dimension(s)"
                                     + (" (sample_weight_mode='temporal')" if mode else "") + ".")
                if sw.shape[0] != y.shape[0]:
                    raise ValueError(f"Found a sample_weight array with {sw.shape[0]} samples for "
                                     f"a target array with {y.shape[0]} samples.")
                weights.append(sw)
            elif cw is not None:
                weights.append(_class_weights_to_sample_weights(cw, y, self.output_names[index],
                                                                self.loss_functions[index]))
            else:
                weights.append(None)
        return weights

    # ------------------------------------------------------------------ steps
    def _trainable_params(self):
        return [w for w in self.trainable_weights]

    def _loss_terms(self, outputs, ys, sample_weights, extra_losses):
        """Total loss (with regularization) and the per-output weighted-mean losses."""
        total = None
        per_output = []
        for out, y, sw, fn, weight in zip(outputs, ys, sample_weights, self.loss_functions,
                                          self.loss_weights_list):
            if fn is None:
                continue
            value = _weighted_mean(fn(y, out), sw)
            per_output.append(value)
            term = value * weight if weight != 1. else value
            total = term if total is None else total + term
        for extra in extra_losses:
            total = total + extra
        return total, per_output

    def _metric_values(self, outputs, ys, sample_weights):
        values = []
        with ad.no_grad():
            for _, index, fn, weighted in self._metric_specs:
                per_sample = fn(ys[index], outputs[index])
                values.append(_weighted_mean(per_sample, sample_weights[index] if weighted
                                             else None).data)
        return values

    def _device_batch(self, arrays, index=None):
        backend = K.active()
        out = []
        for array in arrays:
            if array is None:
                out.append(None)
                continue
            part = array if index is None else array[index]
            out.append(ad.Tensor(backend.asarray(part)))
        return out

    def _train_step(self, xs, ys, sws):
        """One optimizer step on device tensors; returns device scalars in metrics_names order."""
        params = self._trainable_params()
        with backend_config.training_phase(True), collect_activity_losses() as activity:
            outputs = _to_list(self._run_graph(xs, training=True))
            regularization = [w.regularizer(w) for w in params if w.regularizer is not None]
            regularization += [w.regularizer(w) for layer in self.layers
                               for w in layer.non_trainable_weights
                               if w.regularizer is not None and w not in params]
            total, per_output = self._loss_terms(outputs, ys, sws, regularization + activity)
        grads = ad.gradients(total, params)
        self.optimizer.apply_gradients(params, grads)
        return self._step_logs(total, per_output, outputs, ys, sws)

    def _test_step(self, xs, ys, sws):
        with ad.no_grad(), backend_config.training_phase(False), \
                collect_activity_losses() as activity:
            outputs = _to_list(self._run_graph(xs, training=False))
            regularization = [loss for layer in self.layers for loss in
                              [w.regularizer(w) for w in layer.weights
                               if w.regularizer is not None]]
            total, per_output = self._loss_terms(outputs, ys, sws, regularization + activity)
        return self._step_logs(total, per_output, outputs, ys, sws)

    def _step_logs(self, total, per_output, outputs, ys, sws):
        values = [total.data]
        if len(self.outputs) > 1:
            values += [v.data for v in per_output]
        return values + self._metric_values(outputs, ys, sws)

    def _predict_step(self, xs):
        with ad.no_grad(), backend_config.training_phase(False):
            return _to_list(self._run_graph(xs, training=False))

    # ------------------------------------------------------------------ batch API
    def train_on_batch(self, x, y, sample_weight=None, class_weight=None):
        """One gradient step on one batch; returns the loss (and metrics) before the update."""
        self._require_compiled()
        xs, ys, sws = self._prepare(x, y, sample_weight, class_weight)
        values = self._train_step(*self._device_batch_all(xs, ys, sws))
        return _scalars(values)

    def test_on_batch(self, x, y, sample_weight=None):
        self._require_compiled()
        xs, ys, sws = self._prepare(x, y, sample_weight, None)
        return _scalars(self._test_step(*self._device_batch_all(xs, ys, sws)))

    def predict_on_batch(self, x):
        xs = self._standardize_inputs(x)
        outputs = self._predict_step(self._device_batch(xs))
        backend = K.active()
        results = [backend.to_numpy(o.data) for o in outputs]
        return results[0] if len(results) == 1 else results

    def _device_batch_all(self, xs, ys, sws, index=None):
        return (self._device_batch(xs, index), self._device_batch(ys, index),
                self._device_batch(sws, index))

    def _prepare(self, x, y, sample_weight, class_weight):
        xs = self._standardize_inputs(x)
        ys = self._standardize_targets(y)
        _check_lengths(xs, ys, self.input_names, self.output_names)
        sws = self._standardize_sample_weights(sample_weight, class_weight, ys)
        return xs, ys, sws

    # ------------------------------------------------------------------ loops
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose=1, callbacks=None,
            validation_split=0., validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            **kwargs):
        """Train for `epochs` epochs; returns a History whose `history` maps names to series."""
        if 'nb_epoch' in kwargs:
            epochs = kwargs.pop('nb_epoch')
        if kwargs:
            raise TypeError(f"fit() got unexpected keyword argument(s) {sorted(kwargs)}.")
        self._require_compiled()
        if steps_per_epoch is not None and batch_size is not None:
            raise ValueError("fit(): if `steps_per_epoch` is set, `batch_size` must be None.")
        xs, ys, sws = self._prepare(x, y, sample_weight, class_weight)
        val_arrays = None
        do_validation = False
        if validation_data is not None:
            if len(validation_data) == 2:
                val_x, val_y = validation_data
                val_sw = None
            elif len(validation_data) == 3:
                val_x, val_y, val_sw = validation_data
            else:
                raise ValueError("When passing validation_data, it must contain 2 (x_val, y_val) "
                                 "or 3 (x_val, y_val, val_sample_weights) items; however it "
                                 f"contains {len(validation_data)} items")
            val_arrays = self._prepare(val_x, val_y, val_sw, None)
            do_validation = True
        elif validation_split and 0. < validation_split < 1.:
            split_at = int(xs[0].shape[0] * (1. - validation_split))
            if split_at == 0 or split_at == xs[0].shape[0]:
                raise ValueError(f"validation_split={validation_split} leaves no samples for "
                                 f"training or validation out of {xs[0].shape[0]}.")
            val_arrays = tuple([a[split_at:] if a is not None else None for a in arrays]
                               for arrays in (xs, ys, sws))
            xs, ys, sws = tuple([a[:split_at] if a is not None else None for a in arrays]
                                for arrays in (xs, ys, sws))
            do_validation = True
        elif validation_split:
            raise ValueError(f"validation_split must be in [0, 1); received {validation_split}.")
        return self._fit_loop(xs, ys, sws, batch_size or (None if steps_per_epoch else 32),
                              epochs, verbose, callbacks, val_arrays, shuffle, initial_epoch,
                              steps_per_epoch, do_validation)

    def _fit_loop(self, xs, ys, sws, batch_size, epochs, verbose, callbacks, val_arrays,
                  shuffle, initial_epoch, steps_per_epoch, do_validation):
        n = xs[0].shape[0]
        if steps_per_epoch is not None:
            batch_size = int(np.ceil(n / steps_per_epoch))
        out_labels = list(self.metrics_names)
        callback_metrics = out_labels + (['val_' + name for name in out_labels]
                                         if do_validation else [])
        self.history = callbacks_module.History()
        callback_list = [callbacks_module.BaseLogger()] + list(callbacks or [])
        if verbose:
            callback_list.append(callbacks_module.ProgbarLogger(
                count_mode='steps' if steps_per_epoch is not None else 'samples'))
        callback_list.append(self.history)
        callbacks = callbacks_module.CallbackList(callback_list)
        callbacks.set_model(self)
        steps = int(np.ceil(n / batch_size))
        callbacks.set_params({'batch_size': batch_size, 'epochs': epochs, 'steps': steps,
                              'samples': n, 'verbose': verbose, 'do_validation': do_validation,
                              'metrics': callback_metrics})
        self.stop_training = False
        callbacks.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            callbacks.on_epoch_begin(epoch)
            epoch_logs = {}
            order = _epoch_order(n, batch_size, shuffle)
            completed = True
            for batch_index, start in enumerate(range(0, n, batch_size)):
                index = order[start:start + batch_size]
                batch_logs = {'batch': batch_index, 'size': len(index)}
                callbacks.on_batch_begin(batch_index, batch_logs)
                values = self._train_step(*self._device_batch_all(xs, ys, sws, index))
                batch_logs.update(zip(out_labels, values))
                callbacks.on_batch_end(batch_index, batch_logs)
                if self.stop_training:
                    completed = start + batch_size >= n
                    break
            if do_validation and completed:
                val_values = self._evaluate_loop(*val_arrays, batch_size=batch_size)
                epoch_logs.update(zip(['val_' + name for name in out_labels], val_values))
            callbacks.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        callbacks.on_train_end()
        return self.history

    def _evaluate_loop(self, xs, ys, sws, batch_size=32, verbose=0):
        n = xs[0].shape[0]
        totals = None
        progbar = None
        if verbose == 1:
            from ..utils.progbar import Progbar
            progbar = Progbar(target=n)
        for start in range(0, n, batch_size):
            index = slice(start, start + batch_size)
            size = min(batch_size, n - start)
            values = self._test_step(*self._device_batch_all(xs, ys, sws, index))
            weighted = [v * size for v in values]
            totals = weighted if totals is None else [t + w for t, w in zip(totals, weighted)]
            if progbar is not None:
                progbar.update(start + size)
        return [callbacks_module.to_float(t) / n for t in totals]

    def evaluate(self, x=None, y=None, batch_size=None, verbose=1, sample_weight=None,
                 steps=None):
        """Loss (and metrics) over the data; a scalar if there are no metrics, else a list."""
        self._require_compiled()
        xs, ys, sws = self._prepare(x, y, sample_weight, None)
        values = self._evaluate_loop(xs, ys, sws, batch_size=_batch_size(batch_size, steps,
                                                                         xs[0].shape[0]),
                                     verbose=verbose)
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose=0, steps=None):
        """Outputs for the inputs, batch by batch, as NumPy arrays."""
        xs = self._standardize_inputs(x)
        n = xs[0].shape[0]
        batch_size = _batch_size(batch_size, steps, n)
        backend = K.active()
        chunks = None
        progbar = None
        if verbose == 1:
            from ..utils.progbar import Progbar
            progbar = Progbar(target=n)
        for start in range(0, n, batch_size):
            outputs = self._predict_step(self._device_batch(xs, slice(start, start + batch_size)))
            host = [backend.to_numpy(o.data) for o in outputs]
            chunks = [[h] for h in host] if chunks is None else [c + [h] for c, h in
                                                                  zip(chunks, host)]
            if progbar is not None:
                progbar.update(min(start + batch_size, n))
        if chunks is None:
            shapes = [(0,) + tuple(s._keras_shape[1:]) for s in self.outputs]
            results = [np.zeros(shape, dtype=K.floatx()) for shape in shapes]
        else:
            results = [np.concatenate(c, axis=0) for c in chunks]
        return results[0] if len(results) == 1 else results

    def predict_classes(self, x, batch_size=32, verbose=0):
        """Class indices: argmax for several outputs per sample, threshold 0.5 for one."""
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype('int32')

    def predict_proba(self, x, batch_size=32, verbose=0):
        return self.predict(x, batch_size=batch_size, verbose=verbose)

    def summary(self, line_length=None, positions=None, print_fn=None):
        from ..utils.layer_utils import print_summary
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn)


# ---------------------------------------------------------------------------------------------
# helpers

def _to_host(array):
    return array.get() if hasattr(array, 'get') and not isinstance(array, np.ndarray) else array


def _as_array_list(data, names, what):
    if data is None:
        raise ValueError(f"No {what} data was given; the model expects data for "
                         f"{names}.")
    if isinstance(data, dict):
        missing = [name for name in names if name not in data]
        if missing:
            raise ValueError(f"No data provided for {missing[0]!r}. Need data for each key in: "
                             f"{names}")
        arrays = [data[name] for name in names]
    elif isinstance(data, (list, tuple)) and data and hasattr(data[0], 'shape') and \
            not np.isscalar(data[0]):
        if len(data) != len(names):
            raise ValueError(
                f"Error when checking model {what}: the list of arrays that you are passing to "
                f"your model is not the size the model expected. Expected to see {len(names)} "
                f"array(s), but instead got a list of {len(data)} arrays with shapes "
                f"{[tuple(a.shape) for a in data]}")
        arrays = list(data)
    else:
        if len(names) != 1:
            raise ValueError(f"Error when checking model {what}: the model expects "
                             f"{len(names)} arrays ({names}), but received a single array.")
        arrays = [data]
    out = []
    for array in arrays:
        if not hasattr(array, 'shape') or not hasattr(array, 'dtype'):
            array = np.asarray(array)
        if array.dtype == object:
            raise ValueError(f"Error when checking {what}: could not convert the data to a "
                             "numeric array (ragged lists?).")
        out.append(array)
    return out


def _check_shape(array, expected, name, what):
    if array.ndim == len(expected) - 1 and len(expected) == 2 and expected[-1] == 1:
        array = array.reshape(array.shape + (1,))
    if array.ndim != len(expected):
        raise ValueError(f"Error when checking {what}: expected {name} to have {len(expected)} "
                         f"dimensions, but got array with shape {tuple(array.shape)}")
    for axis, (want, got) in enumerate(zip(expected, array.shape)):
        if axis == 0 and want is None:
            continue
        if want is not None and want != got:
            raise ValueError(f"Error when checking {what}: expected {name} to have shape "
                             f"{tuple(expected[1:])} but got array with shape "
                             f"{tuple(array.shape[1:])}")
    return array


def _cast(array, dtype):
    if dtype is None or array.dtype == np.dtype(dtype):
        return array
    if np.dtype(dtype).kind == 'f' or array.dtype.kind in 'biuf':
        return array.astype(dtype)
    return array


def _check_lengths(xs, ys, input_names, output_names):
    x_lengths = {a.shape[0] for a in xs}
    y_lengths = {a.shape[0] for a in ys}
    if len(x_lengths) > 1:
        raise ValueError(f"All input arrays (x) should have the same number of samples. Got "
                         f"array shapes: {[tuple(a.shape) for a in xs]}")
    if len(y_lengths) > 1:
        raise ValueError(f"All target arrays (y) should have the same number of samples. Got "
                         f"array shapes: {[tuple(a.shape) for a in ys]}")
    if x_lengths != y_lengths:
        raise ValueError(f"Input arrays should have the same number of samples as target "
                         f"arrays. Found {x_lengths.pop()} input samples and "
                         f"{y_lengths.pop()} target samples.")


def _class_weights_to_sample_weights(class_weight, y, name, loss_fn):
    y_host = np.asarray(_to_host(y))
    if y_host.ndim == 2 and y_host.shape[1] > 1:
        classes = y_host.argmax(axis=1)
    elif y_host.ndim == 2 and y_host.shape[1] == 1:
        classes = y_host[:, 0]
    elif y_host.ndim == 1:
        classes = y_host
    else:
        raise ValueError(f"class_weight is not supported for 3+ dimensional targets (output "
                         f"{name!r}, target shape {y_host.shape}).")
    if not np.all(np.equal(np.mod(classes, 1), 0)):
        raise ValueError(f"class_weight needs class labels for output {name!r}; its targets are "
                         "not integer classes (a regression?). Use sample_weight instead.")
    classes = classes.astype('int64')
    missing = sorted(set(np.unique(classes).tolist()) - set(int(k) for k in class_weight))
    if missing:
        raise ValueError(f"`class_weight` must contain all classes in the data. The classes "
                         f"{missing} exist in the data but not in `class_weight`.")
    lookup = {int(k): float(v) for k, v in class_weight.items()}
    return np.asarray([lookup[c] for c in classes.tolist()], dtype=K.floatx())


def _weighted_mean(per_sample, weights):
    """Mean of a per-sample loss, weighted as tf.keras does (sum(loss * w) / number of entries)."""
    if weights is None:
        return K.mean(per_sample)
    while weights.ndim < per_sample.ndim:
        weights = K.expand_dims(weights, -1)
    if per_sample.ndim > weights.ndim:
        per_sample = K.mean(per_sample, axis=list(range(weights.ndim, per_sample.ndim)))
    return K.mean(per_sample * weights)


def _epoch_order(n, batch_size, shuffle):
    if shuffle == 'batch':
        batches = np.arange(int(np.ceil(n / batch_size)))
        np.random.shuffle(batches)
        return np.concatenate([np.arange(b * batch_size, min((b + 1) * batch_size, n))
                               for b in batches])
    if shuffle:
        return np.random.permutation(n)
    return np.arange(n)


def _batch_size(batch_size, steps, n):
    if batch_size is not None and steps is not None:
        raise ValueError("If `steps` is set, `batch_size` must be None.")
    if steps is not None:
        return max(1, int(np.ceil(n / steps)))
    return batch_size or 32


def _scalars(values):
    out = [np.float32(callbacks_module.to_float(v)) for v in values]
    return out[0] if len(out) == 1 else out
