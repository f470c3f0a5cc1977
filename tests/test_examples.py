"""The example scripts in examples/ (Keras 2's classic examples on gkeras) run end to end with a
small epoch and sample count; the MLP learns."""
import importlib.util
import os
import re

import numpy as np
import pytest

from gkeras import layers

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'examples')


def load(name):
    spec = importlib.util.spec_from_file_location(f'gkeras_example_{name}',
                                                  os.path.join(EXAMPLES, f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def needs(*names):
    """Skip while a layer an example uses is not in gkeras.layers yet."""
    missing = [name for name in names if not hasattr(layers, name)]
    if missing:
        pytest.skip(f'gkeras.layers has no {missing} yet')


def final_line(out, epochs):
    lines = out.splitlines()
    return lines[lines.index(f'Epoch {epochs}/{epochs}') + 1]


def test_mnist_mlp_learns(backend, capsys):
    history, (loss, accuracy) = load('mnist_mlp').main(['--epochs', '2', '--samples', '160',
                                                        '--batch-size', '32'])
    out = capsys.readouterr().out
    assert 'Total params: 301,066' in out and 'Test accuracy:' in out
    assert re.match(r'160/160 \[=+\] - .* - loss: .* - accuracy: .* - val_loss: .* - '
                    r'val_accuracy: ', final_line(out, 2))
    assert history.history['loss'][-1] < history.history['loss'][0]
    assert accuracy > 0.5


def test_antirectifier(backend, capsys):
    history, (loss, accuracy) = load('antirectifier').main(['--epochs', '2', '--samples', '256'])
    assert np.isfinite(loss) and history.history['loss'][-1] < history.history['loss'][0]
    assert 'Test accuracy:' in capsys.readouterr().out


def test_mnist_cnn(backend, capsys):
    needs('Conv2D', 'MaxPooling2D')
    history, (loss, accuracy) = load('mnist_cnn').main(['--epochs', '1', '--samples', '64'])
    out = capsys.readouterr().out
    assert 'x_train shape: (64, 8, 8, 1)' in out and np.isfinite(loss)
    assert history.epoch == [0]


def test_cifar10_cnn_with_augmentation_sequence(backend, capsys, tmp_path):
    needs('Conv2D', 'MaxPooling2D')
    module = load('cifar10_cnn')
    history, (loss, accuracy) = module.main(['--epochs', '1', '--samples', '24', '--batch-size',
                                             '8', '--workers', '2', '--save-dir',
                                             str(tmp_path)])
    out = capsys.readouterr().out
    assert 'Using real-time data augmentation.' in out and np.isfinite(loss)
    assert os.path.exists(tmp_path / 'gkeras_cifar10_trained_model.h5')
    batches = module.AugmentedBatches(np.zeros((10, 32, 32, 3)), np.zeros((10, 10)), 4)
    assert len(batches) == 3 and batches[2][0].shape == (2, 32, 32, 3)


def test_imdb_lstm(backend, capsys):
    needs('Embedding', 'LSTM')
    module = load('imdb_lstm')
    np.testing.assert_array_equal(module.pad_sequences([[1, 2, 3], [4]], maxlen=2),
                                  [[2, 3], [0, 4]])
    history, (score, acc) = module.main(['--epochs', '1', '--samples', '32', '--max-features',
                                         '300', '--maxlen', '12', '--units', '8'])
    out = capsys.readouterr().out
    assert 'x_train shape: (32, 12)' in out and np.isfinite(score)


def test_functional_multi_input(backend, capsys):
    needs('Embedding', 'LSTM', 'concatenate')
    history, scores = load('functional_multi_input').main(
        ['--epochs', '1', '--samples', '40', '--seq-len', '8', '--vocab', '50', '--embed-dim',
         '4'])
    out = capsys.readouterr().out
    assert 'main_input (InputLayer)' in out and 'Connected to' in out
    assert sorted(history.history) == sorted(
        ['loss', 'main_output_loss', 'aux_output_loss', 'main_output_accuracy',
         'aux_output_accuracy', 'val_loss', 'val_main_output_loss', 'val_aux_output_loss',
         'val_main_output_accuracy', 'val_aux_output_accuracy'])
    assert len(scores) == 5 and all(np.isfinite(scores))
