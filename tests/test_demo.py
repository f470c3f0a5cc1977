"""The README's main command: the digits MLP demo trains to >= 0.95 test accuracy."""
import subprocess
import sys

from gkeras import demo
from gkeras.datasets import digits


def test_digits_loader_shapes_and_split():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape == (1437, 8, 8) and x_test.shape == (360, 8, 8)
    assert y_train.shape == (1437,) and set(y_test.tolist()) == set(range(10))
    assert x_train.max() == 16 and x_train.min() == 0


def test_demo_reaches_expected_accuracy(backend, capsys):
    accuracy = demo.main(['--epochs', '30', '--backend', backend.name])
    out = capsys.readouterr().out
    assert accuracy >= 0.95
    assert 'Epoch 30/30' in out and 'Test accuracy' in out and f'Backend: {backend.name}' in out


def test_demo_runs_as_a_module():
    result = subprocess.run([sys.executable, '-m', 'gkeras.demo', '--epochs', '2',
                             '--backend', 'numpy'], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert 'Test accuracy' in result.stdout and '1437/1437 [' in result.stdout
