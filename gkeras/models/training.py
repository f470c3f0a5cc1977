"""Model: a Network that compiles, trains, evaluates and predicts (the Keras 2 loops).

Names, signatures, defaults, History keys and callback order are Keras 2.2's; the numbers
(sample-weighted losses, weighted metrics, masked outputs, class_weight times sample_weight)
are tf.keras 2.x's. A training step leaves its loss and metrics on the device; the loops sum them
there and copy them to the host once per log line.
"""
import itertools
import warnings

import numpy as np

from .. import backend as K
from .. import callbacks as callbacks_module
from .. import losses as losses_module
from .. import metrics as metrics_module
from .. import optimizers
from ..backend import autodiff as ad
from ..backend import config as backend_config
from ..layers.base import _to_list, collect_activity_losses
from ..utils import data_utils
from .functional import Network

_ACCURACY = ('accuracy', 'acc')
_CROSSENTROPY = ('crossentropy', 'ce')


def _fn_name(fn):
    return getattr(fn, 'name', None) or getattr(fn, '__name__', None) or type(fn).__name__


class _MetricSpec:
    """One compiled metric: its History name, the output it reads, the function, and whether it
    is weighted by the sample weights (a weighted metric is a running ratio over the epoch)."""

    def __init__(self, name, output_index, fn, weighted):
        self.name = name
        self.output_index = output_index
        self.fn = fn
        self.weighted = weighted


class Model(Network):
    """A functional model: `Model(inputs, outputs)`, then compile / fit / evaluate / predict."""

    def __init__(self, inputs=None, outputs=None, name=None, **kwargs):
        super().__init__(inputs, outputs, name=name, **kwargs)
        self.optimizer = None
        self._compiled = False
        self.history = None
        self.metrics_names = []
        self.stateful_metric_names = []

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer, loss=None, metrics=None, loss_weights=None,
                sample_weight_mode=None, weighted_metrics=None, target_tensors=None, **kwargs):
        """Configure training: optimizer, per-output losses, metrics and loss weights.

        Args:
            loss: a name or function, or a list / dict (by output name) with one per output; an
                output missing from a dict gets no loss and needs no target data.
            metrics, weighted_metrics: a list (applied to every output), a list of lists or a
                dict by output name. 'acc'/'accuracy' and 'ce'/'crossentropy' pick the binary,
                categorical or sparse variant from the output shape and loss, as Keras 2 does.
                A metric given by name is logged under that name ('acc', 'mae'), a function
                under its __name__; History resolves either Keras era's spelling.
            loss_weights: a list or dict of scalars multiplying each output's loss.
            sample_weight_mode: None or 'temporal' (per-timestep weights, 2-D sample_weight),
                or a list / dict of these per output.
        """
        if kwargs:
            raise TypeError(f"compile() got unexpected keyword argument(s) {sorted(kwargs)}.")
        if target_tensors is not None:
            raise ValueError("compile: `target_tensors` is not supported by gkeras (eager "
                             "execution has no placeholders); pass targets to fit().")
        self._ensure_graph()
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        self.loss_functions = self._compile_losses(loss)
        self._fed_outputs = [i for i, fn in enumerate(self.loss_functions) if fn is not None]
        self._fed_output_names = [self.output_names[i] for i in self._fed_outputs]
        self.loss_weights = loss_weights
        self.loss_weights_list = self._per_output_weights(loss_weights)
        self.sample_weight_mode = sample_weight_mode
        self.sample_weight_modes = self._compile_sample_weight_modes(sample_weight_mode)
        self.metrics = metrics
        self.weighted_metrics = weighted_metrics
        self.metrics_names = ['loss']
        if len(self.outputs) > 1:
            self.metrics_names += [f'{self.output_names[i]}_loss' for i in self._fed_outputs]
        nested = self._nest_metrics(metrics, 'metrics')
        nested_weighted = self._nest_metrics(weighted_metrics, 'weighted_metrics')
        self._metric_specs = []
        for index in self._fed_outputs:
            for metric in nested[index]:
                self._metric_specs.append(self._metric_spec(metric, index, weighted=False))
            for metric in nested_weighted[index]:
                self._metric_specs.append(self._metric_spec(metric, index, weighted=True))
        self.stateful_metric_names = [spec.name for spec in self._metric_specs if spec.weighted]
        self._compiled = True

    def _compile_losses(self, loss):
        names = self.output_names
        if isinstance(loss, dict):
            unknown = [key for key in loss if key not in names]
            if unknown:
                raise ValueError(f"Unknown entry in loss dictionary: {unknown[0]!r}. Only "
                                 f"expected the following keys: {names}")
            for name in names:
                if name not in loss:
                    warnings.warn(f'Output "{name}" missing from loss dictionary. We assume this '
                                  'was done on purpose, and we will not be expecting any data '
                                  f'to be passed to "{name}" during training.', stacklevel=3)
            values = [loss.get(name) for name in names]
        elif isinstance(loss, (list, tuple)):
            if len(loss) != len(names):
                raise ValueError(f"When passing a list as loss, it should have one entry per "
                                 f"model outputs. The model has {len(names)} outputs, but you "
                                 f"passed loss={loss!r}")
            values = list(loss)
        else:
            if loss is None and not self.losses:
                raise ValueError("compile() needs a `loss`: a name such as 'mse' or "
                                 "'categorical_crossentropy', a function, or a list/dict with "
                                 "one per output.")
            values = [loss] * len(names)
        functions = [losses_module.get(v) if v is not None else None for v in values]
        if all(fn is None for fn in functions) and not self.losses:
            raise ValueError("The model cannot be compiled because it has no loss to optimize.")
        return functions

    def _per_output_weights(self, loss_weights):
        names = self.output_names
        if loss_weights is None:
            return [1.] * len(names)
        if isinstance(loss_weights, dict):
            unknown = [key for key in loss_weights if key not in names]
            if unknown:
                raise ValueError(f"Unknown entry in loss_weights dictionary: {unknown[0]!r}. "
                                 f"Only expected the following keys: {names}")
            return [float(loss_weights.get(name, 1.)) for name in names]
        if isinstance(loss_weights, (list, tuple)):
            if len(loss_weights) != len(names):
                raise ValueError(f"When passing a list as loss_weights, it should have one entry "
                                 f"per model output. The model has {len(names)} outputs, but "
                                 f"you passed loss_weights={list(loss_weights)!r}")
            return [float(w) for w in loss_weights]
        raise TypeError(f"Could not interpret loss_weights argument: {loss_weights!r} - "
                        "expected a list of dicts.")

    def _compile_sample_weight_modes(self, mode):
        names = self.output_names
        if isinstance(mode, dict):
            unknown = [key for key in mode if key not in names]
            if unknown:
                raise ValueError(f"Unknown entry in sample_weight_mode dictionary: "
                                 f"{unknown[0]!r}. Only expected the following keys: {names}")
            for i in self._fed_outputs:
                if names[i] not in mode:
                    raise ValueError(f'Output "{names[i]}" missing from sample_weight_modes '
                                     'dictionary')
            modes = [mode.get(name) for name in names]
        elif isinstance(mode, (list, tuple)):
            if len(mode) != len(names):
                raise ValueError(f"When passing a list as sample_weight_mode, it should have one "
                                 f"entry per model output. The model has {len(names)} outputs, "
                                 f"but you passed sample_weight_mode={list(mode)!r}")
            modes = list(mode)
        else:
            modes = [mode] * len(names)
        for i, value in enumerate(modes):
            if value not in (None, 'temporal'):
                raise ValueError(f"sample_weight_mode should be None or 'temporal'. Found: "
                                 f"{value!r}")
            if value == 'temporal' and i in self._fed_outputs and \
                    len(self.outputs[i]._keras_shape) < 3:
                raise ValueError(f"sample_weight_mode='temporal' is restricted to outputs that "
                                 f"are at least 3D, i.e. that have a time dimension; output "
                                 f"{names[i]!r} has shape {self.outputs[i]._keras_shape}.")
        return [value if i in self._fed_outputs else None for i, value in enumerate(modes)]

    def _nest_metrics(self, metrics, what):
        """One list of metrics per output (Keras 2.2's collect_metrics, plus lists of lists)."""
        names = self.output_names
        if not metrics:
            return [[] for _ in names]
        if isinstance(metrics, dict):
            unknown = [key for key in metrics if key not in names]
            if unknown:
                raise ValueError(f"Invalid layer name for {what}: {unknown}. Available names "
                                 f"are {names}.")
            return [_to_list(metrics.get(name, [])) for name in names]
        if isinstance(metrics, (list, tuple)):
            if metrics and all(isinstance(m, (list, tuple)) for m in metrics):
                if len(metrics) != len(names):
                    raise ValueError(f"When passing a list of lists as {what}, it should have "
                                     f"one entry per model output; the model has {len(names)} "
                                     f"outputs, but received {len(metrics)} lists.")
                return [list(m) for m in metrics]
            return [list(metrics) for _ in names]
        if isinstance(metrics, str) or callable(metrics):
            return [[metrics] for _ in names]
        raise TypeError(f"Type of `{what}` argument not understood. Expected a list or "
                        f"dictionary, found: {metrics!r}")

    def _metric_spec(self, metric, index, weighted):
        loss_name = _fn_name(self.loss_functions[index])
        if isinstance(metric, str) and metric in _ACCURACY + _CROSSENTROPY:
            if self.outputs[index]._keras_shape[-1] == 1 or loss_name == 'binary_crossentropy':
                kind = 'binary'
            elif loss_name == 'sparse_categorical_crossentropy':
                kind = 'sparse_categorical'
            else:
                kind = 'categorical'
            suffix = 'accuracy' if metric in _ACCURACY else 'crossentropy'
            fn = metrics_module.get(f'{kind}_{suffix}')
        else:
            fn = metrics_module.get(metric)
        name = metric if isinstance(metric, str) else _fn_name(fn)
        if weighted:
            name = 'weighted_' + name
        if len(self.output_names) > 1:
            name = f'{self.output_names[index]}_{name}'
        base, j = name, 1
        while name in self.metrics_names:
            name = f'{base}_{j}'
            j += 1
        self.metrics_names.append(name)
        return _MetricSpec(name, index, fn, weighted)

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
        """One target array per output that has a loss."""
        names = self._fed_output_names
        if not names:
            return []
        arrays = _as_array_list(y, names, 'target')
        checked = []
        for array, index in zip(arrays, self._fed_outputs):
            shape = self.outputs[index]._keras_shape
            name = self.output_names[index]
            loss_name = _fn_name(self.loss_functions[index])
            if loss_name == 'sparse_categorical_crossentropy':
                if array.ndim == len(shape):
                    array = _check_shape(array, shape[:-1] + (1,), name, 'target')
                elif array.ndim != len(shape) - 1:
                    raise ValueError(f"Error when checking target: expected {name} to have "
                                     f"{len(shape) - 1} or {len(shape)} dimensions (integer class "
                                     f"indices), but got array with shape {tuple(array.shape)}")
                checked.append(array)
                continue
            if loss_name == 'categorical_crossentropy' and array.shape[-1] == 1 and shape[-1] != 1:
                raise ValueError(
                    f"You are passing a target array of shape {tuple(array.shape)} while using as "
                    "loss `categorical_crossentropy`. `categorical_crossentropy` expects targets "
                    "to be binary matrices (1s and 0s) of shape (samples, classes). If your "
                    "targets are integer classes, you can convert them to the expected format "
                    "via `from gkeras.utils import to_categorical; y_binary = "
                    "to_categorical(y_int)`, or use the loss `sparse_categorical_crossentropy` "
                    "instead.")
            array = _check_shape(array, shape, name, 'target')
            checked.append(_cast(array, K.floatx()))
        return checked

    def _standardize_sample_weights(self, sample_weight, class_weight, ys):
        """One weight array (or None) per output with a loss: sample_weight times the class
        weights of the targets (tf.keras multiplies the two)."""
        names = self._fed_output_names
        sample_weights = _per_output_weight_arg(sample_weight, names, 'sample_weight')
        class_weights = _per_output_weight_arg(class_weight, names, 'class_weight')
        weights = []
        for y, sw, cw, index in zip(ys, sample_weights, class_weights, self._fed_outputs):
            name = self.output_names[index]
            if sw is not None:
                sw = _check_sample_weight(sw, y, name, self.sample_weight_modes[index])
            if cw is not None:
                cw = _class_weights_to_sample_weights(cw, y, name)
                sw = cw if sw is None else sw * (cw if sw.ndim == 1 else cw[:, None])
            weights.append(sw)
        return weights

    def _prepare(self, x, y, sample_weight, class_weight):
        xs = self._standardize_inputs(x)
        ys = self._standardize_targets(y)
        _check_lengths(xs, ys)
        sws = self._standardize_sample_weights(sample_weight, class_weight, ys)
        return xs, ys, sws

    # ------------------------------------------------------------------ steps
    def _fed(self, outputs):
        return [outputs[i] for i in self._fed_outputs]

    def _loss_terms(self, outputs, ys, sample_weights, extra_losses):
        """Total loss (with regularization) and the per-output weighted-mean losses."""
        total = None
        per_output = []
        for out, y, sw, index in zip(self._fed(outputs), ys, sample_weights, self._fed_outputs):
            value = _reduce_loss(self.loss_functions[index](y, out), sw,
                                 getattr(out, '_keras_mask', None))
            per_output.append(value)
            weight = self.loss_weights_list[index]
            term = value * weight if weight != 1. else value
            total = term if total is None else total + term
        for extra in extra_losses:
            total = extra if total is None else total + extra
        return total, per_output

    def _metric_values(self, outputs, ys, sample_weights):
        """Device scalars per metric. A weighted metric, or any metric of a masked output,
        gives (sum of value * weight, sum of weight) instead, so the loops can accumulate the
        ratio over the epoch as tf.keras does."""
        position = {index: k for k, index in enumerate(self._fed_outputs)}
        values = []
        with ad.no_grad():
            for spec in self._metric_specs:
                k = position[spec.output_index]
                out = outputs[spec.output_index]
                mask = getattr(out, '_keras_mask', None)
                per_sample = spec.fn(ys[k], out)
                if spec.weighted or mask is not None:
                    weights = sample_weights[k] if spec.weighted else None
                    values.append(_weighted_sums(per_sample, weights, mask))
                else:
                    values.append(ad.raw(K.mean(per_sample)))
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

    def _device_batch_all(self, xs, ys, sws, index=None):
        return (self._device_batch(xs, index), self._device_batch(ys, index),
                self._device_batch(sws, index))

    def _regularization(self, weights):
        return [w.regularizer(w) for w in weights if w.regularizer is not None]

    def _train_step(self, xs, ys, sws):
        """One optimizer step on device tensors; returns device values in metrics_names order."""
        params = list(self.trainable_weights)
        trainable_ids = {id(p) for p in params}
        frozen = [w for w in self.weights if id(w) not in trainable_ids]
        with backend_config.training_phase(True), collect_activity_losses() as activity:
            outputs = _to_list(self._run_graph(xs, training=True))
            regularization = self._regularization(params) + self._regularization(frozen)
            total, per_output = self._loss_terms(outputs, ys, sws, regularization + activity)
        grads = ad.gradients(total, params)
        self.optimizer.apply_gradients(params, grads)
        return self._step_logs(total, per_output, outputs, ys, sws)

    def _test_step(self, xs, ys, sws):
        with ad.no_grad(), backend_config.training_phase(False), \
                collect_activity_losses() as activity:
            outputs = _to_list(self._run_graph(xs, training=False))
            regularization = self._regularization(self.weights)
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
        return _scalars(_batch_values(values))

    def test_on_batch(self, x, y, sample_weight=None):
        """Loss (and metrics) on one batch, in inference mode."""
        self._require_compiled()
        xs, ys, sws = self._prepare(x, y, sample_weight, None)
        return _scalars(_batch_values(self._test_step(*self._device_batch_all(xs, ys, sws))))

    def predict_on_batch(self, x):
        """Outputs for one batch, as NumPy arrays."""
        xs = self._standardize_inputs(x)
        outputs = self._predict_step(self._device_batch(xs))
        backend = K.active()
        results = [backend.to_numpy(o.data) for o in outputs]
        return results[0] if len(results) == 1 else results

    # ------------------------------------------------------------------ loops
    def _make_callbacks(self, callbacks, verbose, count_mode, params):
        """BaseLogger, ProgbarLogger, the user's callbacks and History, in Keras 2.2's order.

        The loggers share one set of stateful (running-ratio) metric names: the weighted
        metrics, joined at the first batch by the metrics of masked outputs."""
        self.history = callbacks_module.History()
        stateful = set(self.stateful_metric_names)
        chain = [callbacks_module.BaseLogger(stateful_metrics=stateful)]
        if verbose:
            chain.append(callbacks_module.ProgbarLogger(count_mode, stateful_metrics=stateful))
        chain += list(callbacks or []) + [self.history]
        callback_list = callbacks_module.CallbackList(chain)
        callback_list.set_model(self)
        callback_list.set_params(params)
        callback_list.stateful_metrics = stateful
        return callback_list

    def _train_epochs(self, callback_list, epoch_batches, steps, epochs, initial_epoch,
                      validate, validation_freq):
        """The epoch loop shared by fit and fit_generator.

        epoch_batches(epoch) yields (device batch, size) `steps` times; validate(callback_list,
        epoch) returns the validation values (host floats) or is None. An exception inside an epoch
        propagates before on_epoch_end, so History never records an epoch that did not finish.
        """
        labels = list(self.metrics_names)
        callback_list.on_train_begin()
        self.stop_training = False
        for epoch in range(initial_epoch, epochs):
            callback_list.on_epoch_begin(epoch)
            epoch_logs = callbacks_module.MetricLogs()
            tracker = _RatioTracker(labels, callback_list.stateful_metrics)
            batch_index = -1
            for batch_index, (batch, size) in enumerate(epoch_batches(epoch)):
                batch_logs = {'batch': batch_index, 'size': size}
                callback_list.on_train_batch_begin(batch_index, batch_logs)
                values = tracker.running(self._train_step(*batch))
                batch_logs.update(zip(labels, values))
                callback_list.on_train_batch_end(batch_index, batch_logs)
                if self.stop_training:
                    break
            if validate is not None and batch_index == steps - 1 and \
                    _should_validate(validation_freq, epoch):
                val_values = validate(callback_list, epoch)
                epoch_logs.update(zip(['val_' + name for name in labels], val_values))
            callback_list.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        callback_list.on_train_end()
        return self.history

    def _test_batches(self, batches, callback_list=None, progress=None):
        """Loss and metrics over (device batch, size) pairs: each value summed on the device
        (weighted by batch size; weighted metrics as ratios) and copied once at the end."""
        totals, seen = None, 0
        for step, (batch, size) in enumerate(batches):
            batch_logs = {'batch': step, 'size': size}
            if callback_list is not None:
                callback_list.on_test_batch_begin(step, batch_logs)
            values = self._test_step(*batch)
            if totals is None:
                totals = [list(v) if isinstance(v, tuple) else v * size for v in values]
            else:
                for i, v in enumerate(values):
                    if isinstance(v, tuple):
                        totals[i] = [totals[i][0] + v[0], totals[i][1] + v[1]]
                    else:
                        totals[i] = totals[i] + v * size
            seen += size
            if callback_list is not None:
                batch_logs.update(zip(self.metrics_names, _batch_values(values)))
                callback_list.on_test_batch_end(step, batch_logs)
            if progress is not None:
                progress(size)
        if totals is None:
            raise ValueError("There was no data to evaluate (0 samples or 0 steps).")
        return callbacks_module.host_floats(
            [_ratio(*t) if isinstance(t, list) else t / seen for t in totals])

    def _array_batches(self, xs, ys, sws, batch_size, order=None):
        n = xs[0].shape[0]
        for start in range(0, n, batch_size):
            index = slice(start, start + batch_size) if order is None else \
                order[start:start + batch_size]
            size = min(batch_size, n - start)
            yield self._device_batch_all(xs, ys, sws, index), size

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose=1, callbacks=None,
            validation_split=0., validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_freq=1, max_queue_size=10, workers=1, use_multiprocessing=False,
            **kwargs):
        """Train for `epochs` epochs; returns a History whose `history` maps names to series.

        x may also be a generator or a `Sequence` yielding (x, y) or (x, y, sample_weight)
        batches (then fit runs fit_generator). With arrays, `steps_per_epoch` splits the data
        into that many batches per epoch (batch_size = ceil(samples / steps_per_epoch)).
        `nb_epoch` is accepted for `epochs`.
        """
        if 'nb_epoch' in kwargs:
            warnings.warn('The `nb_epoch` argument in `fit` has been renamed `epochs`.',
                          stacklevel=2)
            epochs = kwargs.pop('nb_epoch')
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments: {kwargs}")
        if _is_batch_source(x):
            _check_generator_arguments(y, sample_weight, validation_split)
            return self.fit_generator(
                x, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose,
                callbacks=callbacks, validation_data=validation_data,
                validation_steps=validation_steps, validation_freq=validation_freq,
                class_weight=class_weight, max_queue_size=max_queue_size, workers=workers,
                use_multiprocessing=use_multiprocessing, shuffle=shuffle,
                initial_epoch=initial_epoch)
        self._require_compiled()
        if steps_per_epoch is not None and batch_size is not None:
            raise ValueError("If steps_per_epoch is set, the `batch_size` must be None.")
        xs, ys, sws = self._prepare(x, y, sample_weight, class_weight)
        if xs[0].shape[0] == 0:
            raise ValueError("fit() was given 0 training samples.")
        enqueuers = []
        try:
            if validation_data is not None and _is_batch_source(validation_data):
                validate = self._validation_from_source(validation_data, validation_steps,
                                                        workers, max_queue_size,
                                                        use_multiprocessing, enqueuers)
                val_inputs = None
            else:
                xs, ys, sws, validate, val_inputs = self._array_validation(
                    xs, ys, sws, validation_data, validation_split,
                    batch_size or (int(np.ceil(xs[0].shape[0] / steps_per_epoch))
                                   if steps_per_epoch else 32))
            return self._fit_arrays(xs, ys, sws, batch_size, steps_per_epoch, epochs, verbose,
                                    callbacks, shuffle, initial_epoch, validate, val_inputs,
                                    validation_freq)
        finally:
            _stop_all(enqueuers)

    def _array_validation(self, xs, ys, sws, validation_data, validation_split, batch_size):
        """(training arrays, validate function or None, validation arrays for callbacks) from
        validation_data (arrays) or validation_split (the last samples)."""
        if validation_data is not None:
            val_x, val_y, val_sw = _unpack_validation_data(validation_data)
            val_arrays = self._prepare(val_x, val_y, val_sw, None)
        elif validation_split:
            if not 0. < validation_split < 1.:
                raise ValueError(f"validation_split must be in (0, 1); received "
                                 f"{validation_split}.")
            n = xs[0].shape[0]
            split_at = int(n * (1. - validation_split))
            if split_at == 0 or split_at == n:
                raise ValueError(f"validation_split={validation_split} leaves no samples for "
                                 f"training or validation out of {n}.")
            val_arrays = tuple([a[split_at:] if a is not None else None for a in arrays]
                               for arrays in (xs, ys, sws))
            xs, ys, sws = tuple([a[:split_at] if a is not None else None for a in arrays]
                                for arrays in (xs, ys, sws))
        else:
            return xs, ys, sws, None, None

        def validate(callback_list, epoch):
            return self._validate(self._array_batches(*val_arrays, batch_size), callback_list)
        val_inputs = [a for arrays in val_arrays for a in arrays if a is not None]
        return xs, ys, sws, validate, val_inputs

    def _fit_arrays(self, xs, ys, sws, batch_size, steps_per_epoch, epochs, verbose, callbacks,
                    shuffle, initial_epoch, validate, val_inputs, validation_freq):
        n = xs[0].shape[0]
        if steps_per_epoch is not None:
            batch_size = int(np.ceil(n / steps_per_epoch))
        batch_size = batch_size or 32
        steps = int(np.ceil(n / batch_size))
        labels = list(self.metrics_names)
        params = {'batch_size': batch_size, 'epochs': epochs, 'steps': steps_per_epoch,
                  'samples': n, 'verbose': verbose, 'do_validation': validate is not None,
                  'metrics': labels + (['val_' + name for name in labels]
                                       if validate is not None else [])}
        callback_list = self._make_callbacks(
            callbacks, verbose, 'steps' if steps_per_epoch is not None else 'samples', params)
        for callback in callback_list:
            callback.validation_data = val_inputs

        def epoch_batches(epoch):
            return self._array_batches(xs, ys, sws, batch_size,
                                       _epoch_order(n, batch_size, shuffle))
        return self._train_epochs(callback_list, epoch_batches, steps, epochs, initial_epoch,
                                  validate, validation_freq)

    def _validate(self, batches, callback_list):
        callback_list.on_test_begin()
        values = self._test_batches(batches, callback_list)
        callback_list.on_test_end()
        return values

    def evaluate(self, x=None, y=None, batch_size=None, verbose=1, sample_weight=None,
                 steps=None, callbacks=None, max_queue_size=10, workers=1,
                 use_multiprocessing=False):
        """Loss (and metrics) over the data; a scalar if there are no metrics, else a list.

        x may also be a generator or a `Sequence` (then evaluate runs evaluate_generator).
        """
        if _is_batch_source(x):
            _check_generator_arguments(y, sample_weight)
            return self.evaluate_generator(x, steps=steps, callbacks=callbacks,
                                           max_queue_size=max_queue_size, workers=workers,
                                           use_multiprocessing=use_multiprocessing,
                                           verbose=verbose)
        self._require_compiled()
        xs, ys, sws = self._prepare(x, y, sample_weight, None)
        n = xs[0].shape[0]
        batch_size = _batch_size(batch_size, steps, n)
        callback_list = self._loop_callbacks(callbacks, int(np.ceil(n / batch_size)), verbose,
                                             self.metrics_names)
        progress = _progress(n, verbose, count_steps=False)
        callback_list.on_test_begin()
        values = self._test_batches(self._array_batches(xs, ys, sws, batch_size),
                                    callback_list, progress)
        callback_list.on_test_end()
        return values[0] if len(values) == 1 else values

    def _loop_callbacks(self, callbacks, steps, verbose, metrics=None):
        callback_list = callbacks if isinstance(callbacks, callbacks_module.CallbackList) \
            else callbacks_module.CallbackList(callbacks)
        callback_list.set_model(self)
        params = {'steps': steps, 'verbose': verbose}
        if metrics is not None:
            params['metrics'] = list(metrics)
        callback_list.set_params(params)
        return callback_list

    def predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None,
                max_queue_size=10, workers=1, use_multiprocessing=False):
        """Outputs for the inputs, batch by batch, as NumPy arrays.

        x may also be a generator or a `Sequence` (then predict runs predict_generator).
        """
        if _is_batch_source(x):
            return self.predict_generator(x, steps=steps, callbacks=callbacks,
                                          max_queue_size=max_queue_size, workers=workers,
                                          use_multiprocessing=use_multiprocessing,
                                          verbose=verbose)
        xs = self._standardize_inputs(x)
        n = xs[0].shape[0]
        batch_size = _batch_size(batch_size, steps, n)
        callback_list = self._loop_callbacks(callbacks, int(np.ceil(n / batch_size)), verbose)
        progress = _progress(n, verbose, count_steps=False)
        callback_list.on_predict_begin()

        def batches():
            for start in range(0, n, batch_size):
                yield self._device_batch(xs, slice(start, start + batch_size))
        results = self._predict_batches(batches(), callback_list, progress)
        callback_list.on_predict_end()
        if results is None:
            results = [np.zeros((0,) + tuple(s._keras_shape[1:]), dtype=K.floatx())
                       for s in self.outputs]
        return results[0] if len(results) == 1 else results

    def _predict_batches(self, batches, callback_list, progress):
        chunks = None
        backend = K.active()
        for step, batch in enumerate(batches):
            size = batch[0].shape[0]
            batch_logs = {'batch': step, 'size': size}
            callback_list.on_predict_batch_begin(step, batch_logs)
            host = [backend.to_numpy(o.data) for o in self._predict_step(batch)]
            chunks = [[h] for h in host] if chunks is None else [c + [h] for c, h in
                                                                  zip(chunks, host)]
            batch_logs['outputs'] = host
            callback_list.on_predict_batch_end(step, batch_logs)
            if progress is not None:
                progress(size)
        return None if chunks is None else [np.concatenate(c, axis=0) for c in chunks]

    # ------------------------------------------------------------------ generators
    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1,
                      callbacks=None, validation_data=None, validation_steps=None,
                      validation_freq=1, class_weight=None, max_queue_size=10, workers=1,
                      use_multiprocessing=False, shuffle=True, initial_epoch=0, **kwargs):
        """Train on batches from a Python generator or a `Sequence`.

        Each item is (x, y) or (x, y, sample_weight). A Sequence gives steps_per_epoch =
        len(sequence) by default, is read in order (shuffled per epoch with shuffle=True) and
        sees on_epoch_end after each pass; a generator needs steps_per_epoch and must not run
        out. `workers` threads fetch batches ahead into a queue of `max_queue_size`
        (workers=0: in this thread). `use_multiprocessing=True` is accepted and runs with
        threads (see gkeras.utils.data_utils). validation_data is a tuple of arrays or another
        generator / Sequence (a generator needs validation_steps).
        """
        steps_per_epoch, epochs, validation_steps, workers, use_multiprocessing, \
            max_queue_size = _legacy_generator_kwargs(
                kwargs, generator, 'fit_generator', steps_per_epoch=steps_per_epoch,
                epochs=epochs, validation_steps=validation_steps, workers=workers,
                use_multiprocessing=use_multiprocessing, max_queue_size=max_queue_size)
        self._require_compiled()
        steps_per_epoch = _generator_steps(generator, steps_per_epoch, 'steps_per_epoch')
        do_validation = bool(validation_data) if not _is_batch_source(validation_data) \
            else True
        enqueuers = []
        try:
            stream, enqueuer = data_utils.batch_stream(
                generator, workers=workers, max_queue_size=max_queue_size,
                use_multiprocessing=use_multiprocessing, shuffle=shuffle)
            enqueuers.append(enqueuer)
            stream = self._build_from_first(stream)
            validate, val_inputs = None, None
            last_size = [None]
            if do_validation and _is_batch_source(validation_data):
                validate = self._validation_from_source(validation_data, validation_steps,
                                                        workers, max_queue_size,
                                                        use_multiprocessing, enqueuers)
            elif do_validation:
                val_x, val_y, val_sw = _unpack_validation_data(validation_data)
                val_arrays = self._prepare(val_x, val_y, val_sw, None)
                val_inputs = [a for arrays in val_arrays for a in arrays if a is not None]

                def validate(callback_list, epoch):
                    return self._validate(self._array_batches(*val_arrays, last_size[0] or 32),
                                          callback_list)
            labels = list(self.metrics_names)
            params = {'epochs': epochs, 'steps': steps_per_epoch, 'verbose': verbose,
                      'do_validation': do_validation,
                      'metrics': labels + ['val_' + name for name in labels]}
            callback_list = self._make_callbacks(callbacks, verbose, 'steps', params)
            for callback in callback_list:
                callback.validation_data = val_inputs

            def epoch_batches(epoch):
                for step in range(steps_per_epoch):
                    item = _next_batch(stream, step, epoch, steps_per_epoch)
                    xs, ys, sws, size = self._generator_batch(item, class_weight, step, epoch)
                    last_size[0] = size
                    yield self._device_batch_all(xs, ys, sws), size
            return self._train_epochs(callback_list, epoch_batches, steps_per_epoch, epochs,
                                      initial_epoch, validate, validation_freq)
        finally:
            _stop_all(enqueuers)

    def _validation_from_source(self, source, steps, workers, max_queue_size,
                                use_multiprocessing, enqueuers):
        """validate(callback_list, epoch) over `steps` batches per call from a generator or
        Sequence; its enqueuer (if any) is added to `enqueuers` for the caller to stop."""
        steps = _generator_steps(source, steps, 'validation_steps')
        stream, enqueuer = data_utils.batch_stream(source, workers=workers,
                                                   max_queue_size=max_queue_size,
                                                   use_multiprocessing=use_multiprocessing)
        enqueuers.append(enqueuer)

        def batches(epoch):
            for step in range(steps):
                item = _next_batch(stream, step, epoch, steps, 'validation ')
                xs, ys, sws, size = self._generator_batch(item, None, step, epoch, 'validation ')
                yield self._device_batch_all(xs, ys, sws), size

        def validate(callback_list, epoch):
            return self._validate(batches(epoch), callback_list)
        return validate

    def _build_from_first(self, stream, for_predict=False):
        """A Sequential model built from data builds (and compiles) on the first batch."""
        if self.inputs and self.outputs and self.outputs[0] is not self.inputs[0]:
            return stream
        first = _next_batch(stream, 0, 0, 1)
        self._standardize_inputs(_unpack_generator_item(first, for_predict)[0])
        finish = getattr(self, '_finish_compile', None)
        if finish is not None:
            finish()
        return itertools.chain([first], stream)

    def _generator_batch(self, item, class_weight, step, epoch, what=''):
        x, y, sample_weight = _unpack_generator_item(item)
        try:
            xs, ys, sws = self._prepare(x, y, sample_weight, class_weight)
        except ValueError as error:
            raise ValueError(f"Error in the {what}batch yielded by the generator at step {step} "
                             f"of epoch {epoch + 1}: {error}") from error
        size = xs[0].shape[0]
        if size == 0:
            raise ValueError(f"Received an empty {what}batch from the generator at step {step} "
                             f"of epoch {epoch + 1}. Batches should contain at least one item.")
        return xs, ys, sws, size

    def evaluate_generator(self, generator, steps=None, callbacks=None, max_queue_size=10,
                           workers=1, use_multiprocessing=False, verbose=0, **kwargs):
        """Loss (and metrics) over batches from a generator or a `Sequence` (see fit_generator)."""
        steps, workers, use_multiprocessing, max_queue_size = _legacy_generator_kwargs(
            kwargs, generator, 'evaluate_generator', steps=steps, workers=workers,
            use_multiprocessing=use_multiprocessing, max_queue_size=max_queue_size)
        self._require_compiled()
        steps = _generator_steps(generator, steps, 'steps')
        stream, enqueuer = data_utils.batch_stream(generator, workers=workers,
                                                   max_queue_size=max_queue_size,
                                                   use_multiprocessing=use_multiprocessing)
        try:
            stream = self._build_from_first(stream)
            callback_list = self._loop_callbacks(callbacks, steps, verbose, self.metrics_names)
            progress = _progress(steps, verbose, count_steps=True)

            def batches():
                for step in range(steps):
                    item = _next_batch(stream, step, 0, steps)
                    xs, ys, sws, size = self._generator_batch(item, None, step, 0)
                    yield self._device_batch_all(xs, ys, sws), size
            callback_list.on_test_begin()
            values = self._test_batches(batches(), callback_list, progress)
            callback_list.on_test_end()
        finally:
            if enqueuer is not None:
                enqueuer.stop()
        return values[0] if len(values) == 1 else values

    def predict_generator(self, generator, steps=None, callbacks=None, max_queue_size=10,
                          workers=1, use_multiprocessing=False, verbose=0, **kwargs):
        """Outputs for batches from a generator or a `Sequence` yielding x, (x, y) or
        (x, y, sample_weight), concatenated as NumPy arrays (see fit_generator)."""
        steps, workers, use_multiprocessing, max_queue_size = _legacy_generator_kwargs(
            kwargs, generator, 'predict_generator', steps=steps, workers=workers,
            use_multiprocessing=use_multiprocessing, max_queue_size=max_queue_size)
        steps = _generator_steps(generator, steps, 'steps')
        stream, enqueuer = data_utils.batch_stream(generator, workers=workers,
                                                   max_queue_size=max_queue_size,
                                                   use_multiprocessing=use_multiprocessing)
        try:
            stream = self._build_from_first(stream, for_predict=True)
            callback_list = self._loop_callbacks(callbacks, steps, verbose)
            progress = _progress(steps, verbose, count_steps=True)

            def batches():
                for step in range(steps):
                    item = _next_batch(stream, step, 0, steps)
                    x = _unpack_generator_item(item, for_predict=True)[0]
                    try:
                        xs = self._standardize_inputs(x)
                    except ValueError as error:
                        raise ValueError(f"Error in the batch yielded by the generator at step "
                                         f"{step}: {error}") from error
                    yield self._device_batch(xs)
            callback_list.on_predict_begin()
            results = self._predict_batches(batches(), callback_list, progress)
            callback_list.on_predict_end()
        finally:
            if enqueuer is not None:
                enqueuer.stop()
        return results[0] if len(results) == 1 else results

    # ------------------------------------------------------------------ class prediction
    def predict_classes(self, x, batch_size=32, verbose=0):
        """Class indices: argmax for several outputs per sample, threshold 0.5 for one."""
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype('int32')

    def predict_proba(self, x, batch_size=32, verbose=0):
        """The model's outputs, warning when they do not look like probabilities."""
        preds = self.predict(x, batch_size=batch_size, verbose=verbose)
        if preds.min() < 0. or preds.max() > 1.:
            warnings.warn('Network returning invalid probability values. The last layer might '
                          'not normalize predictions into probabilities (like softmax or '
                          'sigmoid would).')
        return preds

    def summary(self, line_length=None, positions=None, print_fn=None):
        from ..utils.layer_utils import print_summary
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn)


# ---------------------------------------------------------------------------------------------
# helpers

class _RatioTracker:
    """Running (sum of value * weight, sum of weight) per ratio metric within an epoch; the
    names of ratio metrics join `stateful` (the loggers' set of running values)."""

    def __init__(self, labels, stateful):
        self.labels = labels
        self.stateful = stateful
        self.sums = {}

    def running(self, values):
        out = []
        for i, value in enumerate(values):
            if isinstance(value, tuple):
                self.stateful.add(self.labels[i])
                if i in self.sums:
                    value = (self.sums[i][0] + value[0], self.sums[i][1] + value[1])
                self.sums[i] = value
                value = _ratio(*value)
            out.append(value)
        return out


def _ratio(numerator, denominator):
    """numerator / denominator, 0 where the denominator is 0 (tf.math.divide_no_nan)."""
    xp = K.active().xp
    empty = denominator == 0
    return xp.where(empty, 0., numerator / xp.where(empty, 1., denominator)).astype(
        numerator.dtype)


def _batch_values(values):
    return [_ratio(*v) if isinstance(v, tuple) else v for v in values]


def _scalars(values):
    out = [np.float32(v) for v in callbacks_module.host_floats(values)]
    return out[0] if len(out) == 1 else out


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
    if array.ndim == 1 and len(expected) == 2:
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


def _check_lengths(xs, ys):
    x_lengths = {a.shape[0] for a in xs}
    y_lengths = {a.shape[0] for a in ys}
    if len(x_lengths) > 1:
        raise ValueError(f"All input arrays (x) should have the same number of samples. Got "
                         f"array shapes: {[tuple(a.shape) for a in xs]}")
    if len(y_lengths) > 1:
        raise ValueError(f"All target arrays (y) should have the same number of samples. Got "
                         f"array shapes: {[tuple(a.shape) for a in ys]}")
    if y_lengths and x_lengths != y_lengths:
        raise ValueError(f"Input arrays should have the same number of samples as target "
                         f"arrays. Found {x_lengths.pop()} input samples and "
                         f"{y_lengths.pop()} target samples.")


def _per_output_weight_arg(value, names, what):
    """Keras 2.2's standardize_sample_or_class_weights: one entry (or None) per output."""
    if value is None or (isinstance(value, (dict, list, tuple)) and len(value) == 0):
        return [None] * len(names)
    if len(names) == 1:
        if isinstance(value, (list, tuple)) and len(value) == 1 and (
                what == 'class_weight' or hasattr(value[0], 'shape')):
            return list(value)
        if isinstance(value, dict) and names[0] in value:
            return [value[names[0]]]
        return [value]
    if isinstance(value, (list, tuple)):
        if len(value) != len(names):
            raise ValueError(f"Provided `{what}` was a list of {len(value)} elements, but the "
                             f"model has {len(names)} outputs. You should provide one `{what}` "
                             "array per model output.")
        return list(value)
    if isinstance(value, dict):
        if not set(value) & set(names):
            raise ValueError(f"The model has multiple outputs {names}, so `{what}` should be a "
                             f"list or a dict keyed by output name; received a dict with keys "
                             f"{sorted(value, key=str)}.")
        unknown = [key for key in value if key not in names]
        if unknown:
            raise ValueError(f"Unknown entries in `{what}` dictionary: {unknown}. Only expected "
                             f"the following keys: {names}")
        return [value.get(name) for name in names]
    raise TypeError(f"The model has multiple outputs, so `{what}` should be either a list or a "
                    f"dict. Provided `{what}` type not understood: {value!r}")


def _check_sample_weight(sample_weight, y, name, mode):
    sw = np.asarray(_to_host(sample_weight), dtype=K.floatx())
    if mode == 'temporal':
        if sw.ndim != 2:
            raise ValueError(f"Found a sample_weight array with shape {sw.shape} for output "
                             f"{name!r}. In order to use timestep-wise sample weighting, you "
                             "should pass a 2D sample_weight array.")
    elif sw.ndim != 1:
        raise ValueError(f"Found a sample_weight array with shape {sw.shape} for output "
                         f"{name!r}. In order to use timestep-wise sample weights, you should "
                         "specify sample_weight_mode=\"temporal\" in compile(). If you just mean "
                         "to use sample-wise weights, make sure your sample_weight array is 1D.")
    if tuple(y.shape[:sw.ndim]) != sw.shape:
        raise ValueError(f"Found a sample_weight array with shape {sw.shape} for an input with "
                         f"shape {tuple(y.shape)} (output {name!r}). sample_weight cannot be "
                         "broadcast.")
    return sw


def _class_weights_to_sample_weights(class_weight, y, name):
    if not isinstance(class_weight, dict):
        raise TypeError(f"class_weight for output {name!r} must be a dict mapping class indices "
                        f"to weights; received {class_weight!r}.")
    y_host = np.asarray(_to_host(y))
    if y_host.ndim > 2:
        raise ValueError(f"`class_weight` not supported for 3+ dimensional targets (output "
                         f"{name!r}, target shape {y_host.shape}).")
    if y_host.ndim == 2 and y_host.shape[1] > 1:
        classes = y_host.argmax(axis=1)
    elif y_host.ndim == 2:
        classes = y_host[:, 0]
    else:
        classes = y_host
    if not np.all(np.equal(np.mod(classes, 1), 0)):
        raise ValueError(f"class_weight needs class labels, but the targets of output {name!r} "
                         f"are not integer classes (a regression?), e.g. {classes[:3].tolist()}. "
                         "Use sample_weight to weight a regression.")
    classes = classes.astype('int64')
    lookup = {int(k): float(v) for k, v in class_weight.items()}
    missing = sorted(set(np.unique(classes).tolist()) - set(lookup))
    if missing:
        raise ValueError(f"`class_weight` must contain all classes in the data. The classes "
                         f"{set(missing)} exist in the data but not in `class_weight`.")
    return np.asarray([lookup[c] for c in classes.tolist()], dtype=K.floatx())


def _float_mask(mask, like):
    return ad.Tensor(ad.raw(mask).astype(ad.raw(like).dtype))


def _reduce_to(per_sample, ndim):
    if per_sample.ndim > ndim:
        per_sample = K.mean(per_sample, axis=list(range(ndim, per_sample.ndim)))
    return per_sample


def _expand_to(weights, ndim):
    while weights.ndim < ndim:
        weights = K.expand_dims(weights, -1)
    return weights


def _reduce_loss(per_sample, weights, mask):
    """A loss's batch value as tf.keras computes it: sum(loss * weight) / number of entries,
    or sum(loss * weight * mask) / sum(mask) for a masked output."""
    if mask is not None:
        mask = _float_mask(mask, per_sample)
        per_sample = _reduce_to(per_sample, mask.ndim)
        weight = mask if weights is None else _expand_to(weights, mask.ndim) * mask
        return K.sum(per_sample * weight) / K.maximum(K.sum(mask), 1.)
    if weights is None:
        return K.mean(per_sample)
    per_sample = _reduce_to(per_sample, weights.ndim)
    return K.mean(per_sample * _expand_to(weights, per_sample.ndim))


def _weighted_sums(per_sample, weights, mask):
    """(sum of value * weight, sum of weight) with the weights broadcast to the values."""
    xp = K.active().xp
    values = ad.raw(per_sample)
    weight = None if weights is None else weights.data
    if mask is not None:
        mask = ad.raw(mask).astype(values.dtype)
        weight = mask if weight is None else _expand_raw(weight, mask.ndim) * mask
    if weight is None:
        return values.sum(), xp.asarray(values.size, dtype=values.dtype)
    if values.ndim > weight.ndim:
        values = values.mean(axis=tuple(range(weight.ndim, values.ndim)))
    elif values.ndim < weight.ndim:
        values = xp.broadcast_to(_expand_raw(values, weight.ndim), weight.shape)
    weight = xp.broadcast_to(_expand_raw(weight, values.ndim), values.shape).astype(values.dtype)
    return (values * weight).sum(), weight.sum()


def _expand_raw(array, ndim):
    return array.reshape(array.shape + (1,) * (ndim - array.ndim))


def _epoch_order(n, batch_size, shuffle):
    if shuffle == 'batch':
        batches = np.arange(int(np.ceil(n / batch_size)))
        np.random.shuffle(batches)
        return np.concatenate([np.arange(b * batch_size, min((b + 1) * batch_size, n))
                               for b in batches])
    if shuffle:
        return np.random.permutation(n)
    return None


def _batch_size(batch_size, steps, n):
    if batch_size is not None and steps is not None:
        raise ValueError("If `steps` is set, the `batch_size` must be None.")
    if steps is not None:
        return max(1, int(np.ceil(n / steps)))
    return batch_size or 32


def _should_validate(validation_freq, epoch):
    if isinstance(validation_freq, int):
        if validation_freq < 1:
            raise ValueError(f"`validation_freq` can not be less than 1. Received: "
                             f"validation_freq={validation_freq}")
        return (epoch + 1) % validation_freq == 0
    if isinstance(validation_freq, (list, tuple, set)):
        return epoch + 1 in validation_freq
    raise ValueError(f"`validation_freq` must be an int or a collection of epochs. Received: "
                     f"validation_freq={validation_freq!r}")


def _progress(target, verbose, count_steps):
    """A function advancing a progress bar by one batch of `size` (None when verbose != 1)."""
    if verbose != 1:
        return None
    from ..utils.progbar import Progbar
    progbar = Progbar(target=target)
    return lambda size: progbar.add(1 if count_steps else size)


def _stop_all(enqueuers):
    for enqueuer in enqueuers:
        if enqueuer is not None:
            enqueuer.stop()


def _is_batch_source(data):
    return data is not None and not isinstance(data, (np.ndarray, list, tuple, dict)) and \
        (data_utils.is_sequence(data) or data_utils.is_generator(data)) and \
        not hasattr(data, 'dtype')


def _check_generator_arguments(y=None, sample_weight=None, validation_split=None):
    if y is not None:
        raise ValueError("`y` argument is not supported when data is a generator or Sequence "
                         "instance. Instead pass targets as the second element of the "
                         "generator.")
    if sample_weight is not None:
        raise ValueError("`sample_weight` argument is not supported when data is a generator or "
                         "Sequence instance. Instead pass sample weights as the third element "
                         "of the generator.")
    if validation_split:
        raise ValueError("If your data is in the form of a Python generator, you cannot use "
                         "`validation_split`.")


def _unpack_validation_data(validation_data):
    if isinstance(validation_data, (list, tuple)):
        if len(validation_data) == 2:
            return validation_data[0], validation_data[1], None
        if len(validation_data) == 3:
            return tuple(validation_data)
    length = len(validation_data) if hasattr(validation_data, '__len__') else '?'
    raise ValueError("When passing validation_data, it must contain 2 (x_val, y_val) or 3 "
                     "(x_val, y_val, val_sample_weights) items, however it contains "
                     f"{length} items")


def _generator_steps(source, steps, name):
    if steps is not None:
        if int(steps) < 1:
            raise ValueError(f"`{name}` must be at least 1; received {steps}.")
        return int(steps)
    if data_utils.is_sequence(source):
        return len(source)
    raise ValueError(f"`{name}=None` is only valid for a generator based on the "
                     f"`gkeras.utils.Sequence` class. Please specify `{name}` or use the "
                     "`gkeras.utils.Sequence` class.")


def _next_batch(stream, step, epoch, steps, what=''):
    try:
        return next(stream)
    except StopIteration:
        raise ValueError(f"The {what}generator ran out of data at step {step} of epoch "
                         f"{epoch + 1}, but {steps} steps per epoch were asked for. Make the "
                         "generator loop forever (`while True:`) or use a "
                         "`gkeras.utils.Sequence`.") from None


def _unpack_generator_item(item, for_predict=False):
    if isinstance(item, (tuple, list)) and len(item) in (2, 3) and (
            not for_predict or isinstance(item, tuple)):
        return (tuple(item) + (None,))[:3]
    if for_predict and not isinstance(item, tuple):
        return item, None, None
    text = repr(item)
    raise ValueError("Output of generator should be a tuple `(x, y, sample_weight)` or "
                     f"`(x, y)`. Found: {text[:200]}")


_LEGACY_GENERATOR_ARGS = {'nb_epoch': 'epochs', 'nb_val_samples': 'validation_steps',
                          'val_samples': 'steps', 'nb_worker': 'workers',
                          'pickle_safe': 'use_multiprocessing', 'max_q_size': 'max_queue_size',
                          'samples_per_epoch': 'steps_per_epoch'}


def _legacy_generator_kwargs(kwargs, generator, method, **current):
    """Keras 1 argument names of the generator methods, renamed as Keras 2.2 does; returns the
    values of `current` in order."""
    for old, new in list(_LEGACY_GENERATOR_ARGS.items()):
        if old not in kwargs:
            continue
        if new not in current:
            raise TypeError(f"{method}() got an unexpected keyword argument {old!r}.")
        value = kwargs.pop(old)
        if old == 'samples_per_epoch' and hasattr(generator, 'batch_size'):
            value = value // generator.batch_size
        warnings.warn(f"Update your `{method}` call to the Keras 2 API: `{old}` is now `{new}`"
                      + (" (a number of batches, not samples)" if 'samples' in old else "")
                      + ".", stacklevel=3)
        current[new] = value
    if kwargs:
        raise TypeError(f"{method}() got unexpected keyword argument(s) {sorted(kwargs)}.")
    return tuple(current.values())
