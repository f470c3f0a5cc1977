"""The Keras 2 HDF5 layout: layer weights, optimizer state, atomic writes and careful reads.

A weights group has the attributes `layer_names`, `backend` and `keras_version` and one subgroup
per layer whose attribute `weight_names` lists its datasets ('dense_1/kernel:0', ...) in the
layer's `trainable_weights + non_trainable_weights` order (so a nested model stores all its
trainable weights first, as Keras 2.2 and tf.keras 2.x do). Reads load every array into memory and
check every count and shape before the first assignment, so a bad file leaves a model unchanged.
"""
import contextlib
import os
import tempfile
import warnings

import h5py
import numpy as np

from ..backend import selection
from ..layers.cudnn_recurrent import convert_recurrent_weights

# What a Keras reader looks for in these attributes: the Keras 2 layout and TensorFlow's
# kernel conventions (cross-correlation, channels-last kernels), which gkeras shares.
KERAS_VERSION = '2.2.5'
BACKEND = 'tensorflow'

# HDF5 cannot store an attribute larger than the object header; Keras splits longer lists.
_HEADER_LIMIT = 64512


class WeightFileError(ValueError):
    """A weights or model file that does not match the model, naming the file and the mismatch."""


def string(text):
    """A fixed-length byte string attribute, which every h5py version reads back as bytes."""
    return np.bytes_(text.encode('utf8'))


def decode(value):
    return value.decode('utf8') if isinstance(value, (bytes, np.bytes_)) else str(value)


def save_attributes(group, name, strings):
    """Store a list of strings as fixed-length byte strings (what Keras 2.2's h5py 2 reads back)."""
    data = np.asarray([s.encode('utf8') for s in strings], dtype=np.bytes_ if strings else 'S1')
    chunks = 1
    parts = [data]
    while any(part.nbytes > _HEADER_LIMIT for part in parts):
        chunks += 1
        parts = np.array_split(data, chunks)
    if chunks == 1:
        group.attrs[name] = data
    else:
        for index, part in enumerate(parts):
            group.attrs[f'{name}{index}'] = part


def load_attributes(group, name):
    """The list of strings `save_attributes` stored (also split as name0, name1, ...)."""
    if name in group.attrs:
        parts = [group.attrs[name]]
    else:
        parts, index = [], 0
        while f'{name}{index}' in group.attrs:
            parts.append(group.attrs[f'{name}{index}'])
            index += 1
    return [decode(value) for part in parts for value in np.atleast_1d(part)]


def describe(filepath):
    if isinstance(filepath, (h5py.File, h5py.Group)):
        return repr(filepath.file.filename)
    return repr(os.fspath(filepath))


@contextlib.contextmanager
def open_for_reading(filepath):
    """An open h5py group for a path (or the given h5py File/Group); errors name the file."""
    if isinstance(filepath, (h5py.File, h5py.Group)):
        yield filepath
        return
    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No file or directory found at {path!r}.")
    try:
        handle = h5py.File(path, 'r')
    except OSError as error:
        raise OSError(f"{path!r} is not a readable HDF5 file (it may be truncated, damaged or of "
                      f"another format): {error}") from error
    with handle:
        yield handle


def ask_to_proceed_with_overwrite(filepath):
    """Ask on the terminal whether to overwrite `filepath`, as Keras 2 does."""
    answer = input(f'[WARNING] {filepath} already exists - overwrite? [y/n]')
    while answer.strip().lower() not in ('y', 'n'):
        answer = input('Enter "y" (overwrite) or "n" (cancel).')
    if answer.strip().lower() == 'n':
        return False
    print('[TIP] Next time specify overwrite=True!')
    return True


@contextlib.contextmanager
def atomic_writer(filepath):
    """Write a new HDF5 file next to `filepath`, then move it into place in one step.

    If anything fails while writing, the temporary file is removed and a previous file at
    `filepath` is left as it was.
    """
    path = os.fspath(filepath)
    directory = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(prefix=f'.{os.path.basename(path)}.',
                                             suffix='.tmp', dir=directory)
    os.close(descriptor)
    try:
        with h5py.File(temporary, 'w') as handle:
            yield handle
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


# --------------------------------------------------------------------------------------------
# layer weights

def weight_variables(layer):
    """The layer's weights in file order: trainable first, then non-trainable."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _unique_names(variables):
    names = []
    for index, variable in enumerate(variables):
        name = variable.name or f'param_{index}'
        if not name.endswith(':0') and ':' not in name:
            name += ':0'
        candidate, suffix = name, 1
        while candidate in names:
            candidate, suffix = f'{name}_{suffix}', suffix + 1
        names.append(candidate)
    return names


def save_weights_to_group(group, layers):
    """Write `layers`' weights into `group` in the Keras 2 layout."""
    backend = selection.active()
    save_attributes(group, 'layer_names', [layer.name for layer in layers])
    group.attrs['backend'] = string(BACKEND)
    group.attrs['keras_version'] = string(KERAS_VERSION)
    for layer in layers:
        layer_group = group.create_group(layer.name)
        variables = weight_variables(layer)
        names = _unique_names(variables)
        save_attributes(layer_group, 'weight_names', names)
        for name, variable in zip(names, variables):
            layer_group.create_dataset(name, data=backend.to_numpy(variable.data))


def read_weights_group(group, filepath):
    """[(layer name, [weight names], [arrays])] for every layer listed in the file, in order."""
    where = describe(filepath)
    if 'layer_names' not in group.attrs and 'layer_names0' not in group.attrs:
        raise WeightFileError(f"{where} holds no Keras weights: its root has no 'layer_names' "
                              f"attribute (found attributes {sorted(group.attrs)} and groups "
                              f"{sorted(group.keys())[:10]}).")
    layers = []
    try:
        for layer_name in load_attributes(group, 'layer_names'):
            if layer_name not in group:
                raise WeightFileError(f"{where} lists layer {layer_name!r} in 'layer_names' but "
                                      "has no group for it.")
            layer_group = group[layer_name]
            names = load_attributes(layer_group, 'weight_names')
            arrays = []
            for name in names:
                if name not in layer_group:
                    raise WeightFileError(f"{where}: layer {layer_name!r} lists weight {name!r} "
                                          "but the file has no dataset for it.")
                arrays.append(np.asarray(layer_group[name]))
            layers.append((layer_name, names, arrays))
    except (OSError, RuntimeError, KeyError) as error:
        raise OSError(f"Could not read the weights in {where} (the file may be truncated or "
                      f"damaged): {error}") from error
    return layers


def _check_shapes(where, layer, variables, names, arrays):
    for variable, name, array in zip(variables, names, arrays):
        if tuple(variable.shape) != tuple(array.shape):
            return (f"{where}: weight {variable.name!r} of layer {layer.name!r} has shape "
                    f"{tuple(variable.shape)}, but the file's {name!r} has shape "
                    f"{tuple(array.shape)}.")
    return None


def _count_message(where, layer, file_layer, variables, names):
    return (f"{where}: layer {layer.name!r} ({type(layer).__name__}) expects "
            f"{len(variables)} weight(s) {[v.name for v in variables]}, but the file's layer "
            f"{file_layer!r} holds {len(names)}: {names}.")


def plan_weights(group, layers, filepath, by_name=False, skip_mismatch=False):
    """Read and check everything; [(variable, array)] to assign, or WeightFileError.

    Topological loading pairs the file's layers that hold weights with `layers` that have
    weights, in order. By-name loading pairs them by layer name and skips the rest; with
    skip_mismatch it also skips (with a warning) layers whose weight count or shapes differ.
    """
    where = describe(filepath)
    saved = read_weights_group(group, filepath)
    pairs = []
    if by_name:
        by_layer_name = {}
        for layer in layers:
            by_layer_name.setdefault(layer.name, []).append(layer)
        for file_layer, names, arrays in saved:
            for layer in by_layer_name.get(file_layer, []):
                pairs.append((layer, file_layer, names, arrays))
    else:
        with_weights = [layer for layer in layers if weight_variables(layer)]
        saved = [entry for entry in saved if entry[1]]
        if len(saved) != len(with_weights):
            raise WeightFileError(
                f"{where}: the file holds weights for {len(saved)} layer(s) "
                f"{[entry[0] for entry in saved]}, but the model has {len(with_weights)} layer(s) "
                f"with weights {[layer.name for layer in with_weights]}.")
        pairs = [(layer, *entry) for layer, entry in zip(with_weights, saved)]
    assignments = []
    for layer, file_layer, names, arrays in pairs:
        variables = weight_variables(layer)
        try:
            arrays = convert_recurrent_weights(layer, arrays)
        except ValueError as error:
            raise WeightFileError(f"{where}: {error}") from error
        if len(variables) != len(arrays):
            problem = _count_message(where, layer, file_layer, variables, names)
        else:
            problem = _check_shapes(where, layer, variables, names, arrays)
        if problem is not None:
            if by_name and skip_mismatch:
                warnings.warn(f"Skipping loading of weights for layer {layer.name!r}: {problem}")
                continue
            raise WeightFileError(problem)
        assignments.extend(zip(variables, arrays))
    return assignments


def assign(assignments):
    backend = selection.active()
    for variable, array in assignments:
        variable.data[...] = backend.asarray(array, dtype=variable.dtype)


# --------------------------------------------------------------------------------------------
# optimizer state

def save_optimizer_weights(group, optimizer):
    """Write the optimizer's state, as tf.keras' legacy optimizers (and gkeras) read it back.

    The order is Keras 2.2's: iterations, optimizer-wide variables, then each slot kind for every
    parameter. Slots the update never reads (Adam's vhat without amsgrad, SGD's moments without
    momentum) are left out, which is also what tf.keras' optimizers expect.
    """
    backend = selection.active()
    variables = list(optimizer.weights)
    optional = {f'{type(optimizer).__name__}/{slot}_' for slot in optimizer._optional_slot_names()}
    variables = [v for v in variables if not any(v.name.startswith(prefix) for prefix in optional)]
    names = _unique_names(variables)
    weights_group = group.create_group('optimizer_weights')
    save_attributes(weights_group, 'weight_names', names)
    for name, variable in zip(names, variables):
        weights_group.create_dataset(name, data=backend.to_numpy(variable.data))


def read_optimizer_weights(group, filepath):
    """([names], [arrays]) of the file's optimizer state, or ([], []) if it has none."""
    if 'optimizer_weights' not in group:
        return [], []
    try:
        weights_group = group['optimizer_weights']
        names = load_attributes(weights_group, 'weight_names')
        return names, [np.asarray(weights_group[name]) for name in names]
    except (OSError, RuntimeError, KeyError) as error:
        raise OSError(f"Could not read the optimizer state in {describe(filepath)} (the file may "
                      f"be truncated or damaged): {error}") from error


# tf.keras 2.11+ optimizers name their slots per variable ('Adam/m/dense/kernel:0'); these are
# the gkeras slot names of those kinds, per optimizer class.
_TF_SLOT_NAMES = {
    'SGD': {'m': 'moment'},
    'RMSprop': {'velocity': 'accumulator'},
    'Adagrad': {'accumulator': 'accumulator'},
    'Adadelta': {'accumulated_grad': 'accumulator', 'accumulated_delta_var': 'delta_accumulator'},
    'Adam': {'m': 'm', 'v': 'v', 'vhat': 'vhat'},
    'Adamax': {'m': 'm', 'u': 'u'},
    'Nadam': {'m': 'm', 'v': 'v'},
}


def _from_tf_optimizer_layout(optimizer, names, arrays, where):
    """Reorder a tf.keras 2.11+ optimizer state (slots interleaved per variable) to Keras 2.2's."""
    kinds = _TF_SLOT_NAMES.get(type(optimizer).__name__, {})
    slots = {}
    for name, array in zip(names[1:], arrays[1:]):
        parts = name.split('/')
        kind = kinds.get(parts[1]) if len(parts) > 2 else None
        if kind is None:
            raise WeightFileError(f"{where}: optimizer state {name!r} has no counterpart in "
                                  f"gkeras' {type(optimizer).__name__}.")
        slots.setdefault(kind, []).append(array)
    iterations = arrays[0]
    state = [iterations]
    if type(optimizer).__name__ == 'Nadam':
        # tf.keras keeps the momentum-schedule product outside its saved variables; rebuild it.
        steps = np.arange(1, int(iterations) + 1)
        state.append(np.asarray(np.prod(optimizer.beta_1 * (
            1. - 0.5 * 0.96 ** (steps * optimizer.schedule_decay))), dtype='float32'))
    for kind in optimizer._slot_names:
        state.extend(slots.get(kind, []))
    return state


# Keras 3 names them '<optimizer>/<variable path>_<slot>' and also saves its learning rate.
_KERAS3_SLOT_SUFFIXES = {'momentum': 'm', 'velocity': 'v', 'velocity_hat': 'vhat', 'norm': 'u',
                         'accumulator': 'accumulator', 'accumulated_grad': 'accumulated_grad',
                         'accumulated_delta_var': 'accumulated_delta_var'}
_KERAS3_SLOT_KINDS = {'RMSprop': {'v': 'velocity'}}


def _from_keras3_layout(optimizer, names, arrays):
    """Rename a Keras 3 state to the tf.keras 2.11+ names and drop its saved learning rate."""
    renamed, kept = [names[0]], [arrays[0]]
    kinds = _KERAS3_SLOT_KINDS.get(type(optimizer).__name__, {})
    for name, array in zip(names[1:], arrays[1:]):
        if name.split('/')[-1] == 'learning_rate':
            continue
        for suffix in sorted(_KERAS3_SLOT_SUFFIXES, key=len, reverse=True):
            if name.endswith('_' + suffix):
                kind = _KERAS3_SLOT_SUFFIXES[suffix]
                renamed.append(f"optimizer/{kinds.get(kind, kind)}/{name[:-len(suffix) - 1]}")
                break
        else:
            renamed.append(name)
        kept.append(array)
    return renamed, kept


def optimizer_state(optimizer, names, arrays, filepath):
    """The file's optimizer state in gkeras' order (Keras 2.2, tf.keras legacy or 2.11+, Keras 3)."""
    where = describe(filepath)
    if names and names[0].split('/')[-1] == 'iteration':
        names, arrays = _from_keras3_layout(optimizer, names, arrays)
    if names and names[0].split('/')[-1] in ('iteration', 'iteration:0'):
        return _from_tf_optimizer_layout(optimizer, names, arrays, where)
    if arrays and not (arrays[0].shape == () and arrays[0].dtype.kind in 'iu'):
        # Keras 2.2's RMSprop, Adagrad and Adadelta do not save their step count.
        return [np.zeros((), dtype='int64')] + list(arrays)
    return list(arrays)


def check_optimizer_state(optimizer, state):
    """None if `state` fits the built optimizer's variables, else what does not fit."""
    variables = list(optimizer.weights)
    optional = {f'{type(optimizer).__name__}/{slot}_' for slot in optimizer._optional_slot_names()}
    required = [v for v in variables if not any(v.name.startswith(p) for p in optional)]
    for candidate in (variables, required):
        if len(candidate) == len(state) and all(
                tuple(v.shape) == tuple(np.shape(s)) for v, s in zip(candidate, state)):
            return None
    return (f"the optimizer has {len(variables)} state variable(s) "
            f"{[tuple(v.shape) for v in variables]}, the file holds {len(state)} "
            f"{[tuple(np.shape(s)) for s in state]}")
