"""Model: a Network that compiles, trains, evaluates and predicts (the Keras 2 API).

Names, signatures, defaults, History keys and callback order are Keras 2.2's; the numbers
(sample-weighted losses, weighted metrics, masked outputs, class_weight times sample_weight)
are tf.keras 2.x's. A training step leaves its loss and metrics on the device; the loops sum them
there and copy them to the host once per log line.

This module holds what a model is asked and what one step does: compile, standardizing data
against the model, the train / test / predict steps and the public methods. The loops live in
training_loops, fed by training_arrays and training_generator; the pure helpers in
training_utils.
"""
import warnings

from .. import backend as K
from .. import optimizers
from ..backend import autodiff as ad
from ..backend import config as backend_config
from ..layers.base import _to_list, collect_activity_losses
from ..legacy import legacy_interface
from . import training_arrays, training_generator
from .functional import Network
from .training_generator import check_generator_arguments, is_batch_source, stop_all
from .training_utils import (apply_class_weights, as_array_list, batch_values, cast_array,
                             check_array_lengths, check_shape, fit_batch_size, fn_name,
                             loss_weights_per_output, losses_per_output, may_add_losses,
                             metric_function, metrics_per_output, one_or_list, reduce_loss,
                             sample_weight_modes_per_output, scalars, standardize_sample_weights,
                             standardize_target, weighted_sums)


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
        added_losses = bool(self.losses) or may_add_losses(self)
        if loss is None and not added_losses:
            raise ValueError("compile() needs a `loss`: a name such as 'mse' or "
                             "'categorical_crossentropy', a function, or a list/dict with "
                             "one per output; or losses added with `model.add_loss` (or "
                             "`self.add_loss` in a layer's call()).")
        self.loss_functions = losses_per_output(loss, self.output_names)
        if all(fn is None for fn in self.loss_functions) and not added_losses:
            raise ValueError("The model cannot be compiled because it has no loss to optimize.")
        self._fed_outputs = [i for i, fn in enumerate(self.loss_functions) if fn is not None]
        self._fed_output_names = [self.output_names[i] for i in self._fed_outputs]
        self.loss_weights = loss_weights
        self.loss_weights_list = loss_weights_per_output(loss_weights, self.output_names)
        self.sample_weight_mode = sample_weight_mode
        self.sample_weight_modes = sample_weight_modes_per_output(
            sample_weight_mode, self.output_names, self._fed_outputs,
            [output._keras_shape for output in self.outputs])
        self.metrics = metrics
        self.weighted_metrics = weighted_metrics
        self.metrics_names = ['loss']
        if len(self.outputs) > 1:
            self.metrics_names += [f'{self.output_names[i]}_loss' for i in self._fed_outputs]
        nested = metrics_per_output(metrics, self.output_names, 'metrics')
        nested_weighted = metrics_per_output(weighted_metrics, self.output_names,
                                             'weighted_metrics')
        self._metric_specs = []
        for index in self._fed_outputs:
            for metric in nested[index]:
                self._metric_specs.append(self._metric_spec(metric, index, weighted=False))
            for metric in nested_weighted[index]:
                self._metric_specs.append(self._metric_spec(metric, index, weighted=True))
        self.stateful_metric_names = [spec.name for spec in self._metric_specs if spec.weighted]
        self._compiled = True

    def _metric_spec(self, metric, index, weighted):
        """The metric of output `index`, named as Keras 2.2 logs it (unique in metrics_names,
        to which the name is appended)."""
        fn = metric_function(metric, self.outputs[index]._keras_shape,
                             fn_name(self.loss_functions[index]))
        name = metric if isinstance(metric, str) else fn_name(fn)
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
    def _ensure_graph(self, arrays=None):
        """Raise unless the model has outputs (Sequential builds here from `arrays`)."""
        if not self.outputs:
            raise ValueError(f"Model {self.name!r} has no layers connected to inputs yet.")

    def _require_compiled(self):
        if not self._compiled:
            raise RuntimeError("You must compile your model before training/testing. Use "
                               "`model.compile(optimizer, loss)`.")

    def _held_input_values(self):
        """The values of the model's inputs when every one holds its tensor (Input(tensor=
        K.variable(...))): what Keras 2 runs on when no input data is given; else None."""
        layers = [x._keras_history[0] for x in self.inputs] if self.inputs else []
        if not layers or any(getattr(layer, 'constant', None) is None for layer in layers):
            return None
        backend = K.active()
        return [backend.to_numpy(layer.constant.data) for layer in layers]

    def _standardize_inputs(self, x):
        if x is None:
            x = self._held_input_values()
        arrays = as_array_list(x, self.input_names, 'input')
        self._ensure_graph(arrays)
        checked = []
        for array, symbol, name in zip(arrays, self.inputs, self.input_names):
            array = check_shape(array, symbol._keras_shape, name, 'input')
            checked.append(cast_array(array, symbol.dtype))
        return checked

    def _standardize_targets(self, y):
        """One target array per output that has a loss."""
        if not self._fed_outputs:
            return []
        arrays = as_array_list(y, self._fed_output_names, 'target')
        return [standardize_target(array, self.outputs[index]._keras_shape,
                                   self.output_names[index],
                                   fn_name(self.loss_functions[index]))
                for array, index in zip(arrays, self._fed_outputs)]

    def _prepare(self, x, y, sample_weight, class_weight):
        """(xs, ys, sample weights): host arrays checked against the model, weights combined
        with the class weights, one per output that has a loss."""
        xs = self._standardize_inputs(x)
        ys = self._standardize_targets(y)
        check_array_lengths(xs, ys)
        sws = standardize_sample_weights(
            sample_weight, class_weight, ys, self._fed_output_names,
            [self.sample_weight_modes[index] for index in self._fed_outputs])
        return xs, ys, sws

    # ------------------------------------------------------------------ steps
    def _loss_terms(self, outputs, ys, sample_weights, extra_losses):
        """Total loss (with regularization) and the per-output weighted-mean losses."""
        total = None
        per_output = []
        for y, sw, index in zip(ys, sample_weights, self._fed_outputs):
            out = outputs[index]
            value = reduce_loss(self.loss_functions[index](y, out), sw,
                                getattr(out, '_keras_mask', None))
            per_output.append(value)
            weight = self.loss_weights_list[index]
            term = value * weight if weight != 1. else value
            total = term if total is None else total + term
        for extra in extra_losses:
            total = extra if total is None else total + extra
        if total is None:
            raise ValueError(f"Model {self.name!r} has no loss to optimize: it was compiled "
                             "without a loss, and no layer added one with add_loss in this "
                             "forward pass.")
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
                    values.append(weighted_sums(per_sample, weights, mask))
                else:
                    values.append(ad.raw(K.mean(per_sample)))
        return values

    def _device_batch(self, arrays, index=None):
        """Device tensors of the arrays (rows `index` if given); None stays None."""
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
        with K.active().step_scope():
            with backend_config.training_phase(True), collect_activity_losses() as activity:
                outputs = _to_list(self._run_graph(xs, training=True))
                regularization = self._regularization(params) + self._regularization(frozen)
                total, per_output = self._loss_terms(outputs, ys, sws,
                                                     regularization + activity)
            grads = ad.gradients(total, params)
            self.optimizer.apply_gradients(params, grads)
            return self._step_logs(total, per_output, outputs, ys, sws)

    def _test_step(self, xs, ys, sws):
        with K.active().step_scope(), ad.no_grad(), backend_config.training_phase(False), \
                collect_activity_losses() as activity:
            outputs = _to_list(self._run_graph(xs, training=False))
            regularization = self._regularization(self.weights)
            total, per_output = self._loss_terms(outputs, ys, sws, regularization + activity)
        return self._step_logs(total, per_output, outputs, ys, sws)

    def _step_logs(self, total, per_output, outputs, ys, sws):
        # a per-sample added loss leaves one total per sample (its gradient is their sum);
        # tf.keras logs their mean
        values = [total.data if total.ndim == 0 else K.mean(total).data]
        if len(self.outputs) > 1:
            values += [v.data for v in per_output]
        return values + self._metric_values(outputs, ys, sws)

    def _predict_step(self, xs):
        """The outputs for device inputs, as NumPy arrays."""
        with K.active().step_scope(), ad.no_grad(), backend_config.training_phase(False):
            outputs = _to_list(self._run_graph(xs, training=False))
        backend = K.active()
        return [backend.to_numpy(o.data) for o in outputs]

    # ------------------------------------------------------------------ batch API
    def train_on_batch(self, x, y, sample_weight=None, class_weight=None):
        """One gradient step on one batch; returns the loss (and metrics) before the update."""
        self._require_compiled()
        xs, ys, sws = self._prepare(x, y, sample_weight, class_weight)
        values = self._train_step(*self._device_batch_all(xs, ys, sws))
        return scalars(batch_values(values))

    def test_on_batch(self, x, y, sample_weight=None):
        """Loss (and metrics) on one batch, in inference mode."""
        self._require_compiled()
        xs, ys, sws = self._prepare(x, y, sample_weight, None)
        return scalars(batch_values(self._test_step(*self._device_batch_all(xs, ys, sws))))

    def predict_on_batch(self, x):
        """Outputs for one batch, as NumPy arrays."""
        xs = self._standardize_inputs(x)
        return one_or_list(self._predict_step(self._device_batch(xs)))

    # ------------------------------------------------------------------ arrays (or a generator)
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose=1, callbacks=None,
            validation_split=0., validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_freq=1, max_queue_size=10, workers=1, use_multiprocessing=False,
            **kwargs):
        """Train for `epochs` epochs; returns a History whose `history` maps names to series.

        x may also be a generator or a `Sequence` yielding (x, y) or (x, y, sample_weight)
        batches (then fit runs fit_generator). With arrays, `steps_per_epoch` splits the data
        into that many batches per epoch (batch_size = ceil(samples / steps_per_epoch)).
        validation_data may be arrays or a generator / Sequence. `nb_epoch` is accepted for
        `epochs`.
        """
        if 'nb_epoch' in kwargs:
            warnings.warn('The `nb_epoch` argument in `fit` has been renamed `epochs`.',
                          stacklevel=2)
            epochs = kwargs.pop('nb_epoch')
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments: {kwargs}")
        if is_batch_source(x):
            check_generator_arguments(y, sample_weight, validation_split)
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
        # the class weights come after the validation split: as in tf.keras, they weight the
        # training samples only (Keras 2.2 weighted the split-off validation samples too)
        xs, ys, sws = self._prepare(x, y, sample_weight, None)
        samples = xs[0].shape[0]
        if samples == 0:
            raise ValueError("fit() was given 0 training samples.")
        validate, val_inputs = None, None
        enqueuers = []
        try:
            if is_batch_source(validation_data):
                validate = training_generator.validation_from_source(
                    self, validation_data, validation_steps, workers, max_queue_size,
                    use_multiprocessing, enqueuers)
            else:
                xs, ys, sws, val_arrays = training_arrays.split_validation(
                    self, xs, ys, sws, validation_data, validation_split)
                if val_arrays is not None:
                    # validation batches are sized from all the samples given, split or not
                    validate, val_inputs = training_arrays.validation_from_arrays(
                        self, val_arrays,
                        lambda: fit_batch_size(batch_size, steps_per_epoch, samples))
            sws = apply_class_weights(sws, class_weight, ys, self._fed_output_names)
            return training_arrays.fit_loop(
                self, xs, ys, sws, batch_size, steps_per_epoch, epochs, verbose, callbacks,
                shuffle, initial_epoch, validate, val_inputs, validation_freq)
        finally:
            stop_all(enqueuers)

    def evaluate(self, x=None, y=None, batch_size=None, verbose=1, sample_weight=None,
                 steps=None, callbacks=None, max_queue_size=10, workers=1,
                 use_multiprocessing=False):
        """Loss (and metrics) over the data; a scalar if there are no metrics, else a list.

        x may also be a generator or a `Sequence` (then evaluate runs evaluate_generator).
        """
        if is_batch_source(x):
            check_generator_arguments(y, sample_weight)
            return self.evaluate_generator(x, steps=steps, callbacks=callbacks,
                                           max_queue_size=max_queue_size, workers=workers,
                                           use_multiprocessing=use_multiprocessing,
                                           verbose=verbose)
        self._require_compiled()
        xs, ys, sws = self._prepare(x, y, sample_weight, None)
        return one_or_list(training_arrays.test_loop(self, xs, ys, sws, batch_size, steps,
                                                     verbose, callbacks))

    def predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None,
                max_queue_size=10, workers=1, use_multiprocessing=False):
        """Outputs for the inputs, batch by batch, as NumPy arrays.

        x may also be a generator or a `Sequence` (then predict runs predict_generator).
        """
        if is_batch_source(x):
            return self.predict_generator(x, steps=steps, callbacks=callbacks,
                                          max_queue_size=max_queue_size, workers=workers,
                                          use_multiprocessing=use_multiprocessing,
                                          verbose=verbose)
        xs = self._standardize_inputs(x)
        check_array_lengths(xs, [])  # a shorter input would end the batches early, unsaid
        return one_or_list(training_arrays.predict_loop(self, xs, batch_size, steps, verbose,
                                                        callbacks))

    # ------------------------------------------------------------------ generators
    @legacy_interface('generator_methods', method=True)
    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1,
                      callbacks=None, validation_data=None, validation_steps=None,
                      validation_freq=1, class_weight=None, max_queue_size=10, workers=1,
                      use_multiprocessing=False, shuffle=True, initial_epoch=0):
        """Train on batches from a Python generator or a `Sequence`.

        Each item is (x, y) or (x, y, sample_weight). A Sequence gives steps_per_epoch =
        len(sequence) by default, is read in order (shuffled per epoch with shuffle=True) and
        sees on_epoch_end after each pass; a generator needs steps_per_epoch and must not run
        out. `workers` threads fetch batches ahead into a queue of `max_queue_size`
        (workers=0: in this thread). `use_multiprocessing=True` is accepted and runs with
        threads (see gkeras.utils.data_utils). validation_data is a tuple of arrays or another
        generator / Sequence (a generator needs validation_steps).
        """
        return training_generator.fit_generator(
            self, generator, steps_per_epoch, epochs, verbose, callbacks, validation_data,
            validation_steps, validation_freq, class_weight, max_queue_size, workers,
            use_multiprocessing, shuffle, initial_epoch)

    @legacy_interface('generator_methods', method=True)
    def evaluate_generator(self, generator, steps=None, callbacks=None, max_queue_size=10,
                           workers=1, use_multiprocessing=False, verbose=0):
        """Loss (and metrics) over batches from a generator or a `Sequence` (see fit_generator)."""
        return one_or_list(training_generator.evaluate_generator(
            self, generator, steps, callbacks, max_queue_size, workers, use_multiprocessing,
            verbose))

    @legacy_interface('generator_methods', method=True)
    def predict_generator(self, generator, steps=None, callbacks=None, max_queue_size=10,
                          workers=1, use_multiprocessing=False, verbose=0):
        """Outputs for batches from a generator or a `Sequence` yielding x, (x, y) or
        (x, y, sample_weight), concatenated as NumPy arrays (see fit_generator)."""
        return one_or_list(training_generator.predict_generator(
            self, generator, steps, callbacks, max_queue_size, workers, use_multiprocessing,
            verbose))

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
