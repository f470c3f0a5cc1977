"""utils.HDF5Matrix: an HDF5 dataset read batch by batch by fit / evaluate / predict, with
NumPy's indexing semantics over rows start:end; checked against the same arrays in memory."""
import h5py
import numpy as np
import pytest

from gkeras.layers import Dense
from gkeras.models import Sequential
from gkeras.utils import HDF5Matrix


@pytest.fixture
def data_file(tmp_path, rng):
    path = str(tmp_path / 'data.h5')
    x = rng.standard_normal((23, 4)).astype('float32')
    y = rng.standard_normal((23, 2)).astype('float32')
    with h5py.File(path, 'w') as f:
        f['x'], f['y'] = x, y
        f.create_group('group')
    yield path, x, y
    for handle in HDF5Matrix.refs.values():
        handle.close()
    HDF5Matrix.refs.clear()


def test_indexing_matches_numpy(data_file):
    path, x, _ = data_file
    rows = HDF5Matrix(path, 'x', start=3, end=19, normalizer=lambda a: a * 2)
    reference = x[3:19] * 2
    assert rows.shape == (16, 4) and len(rows) == 16 and rows.ndim == 2 and rows.size == 64
    assert rows.dtype == np.float32
    for key in (5, np.int64(0), slice(2, 9), slice(None), slice(None, None, 3), slice(10, 40),
                slice(None, None, -2), -1, [7, 1, 1, 15], np.array([3, 0, 12]), [-1, 0]):
        np.testing.assert_array_equal(rows[key], reference[key], err_msg=str(key))
    for key in (16, -20, [2, 16], np.array([-17])):
        with pytest.raises(IndexError):
            rows[key]


def test_fit_evaluate_predict_read_it_as_the_arrays(data_file, backend, monkeypatch):
    path, x, y = data_file
    read = []
    original = HDF5Matrix.__getitem__

    def counted(self, key):
        values = original(self, key)
        read.append(len(values))
        return values
    monkeypatch.setattr(HDF5Matrix, '__getitem__', counted)
    results = []
    for source in ('memory', 'file'):
        np.random.seed(7)
        model = Sequential([Dense(3, activation='tanh', input_shape=(4,)), Dense(2)])
        model.compile('sgd', 'mse')
        inputs, targets = (x, y) if source == 'memory' else (HDF5Matrix(path, 'x'),
                                                            HDF5Matrix(path, 'y'))
        history = model.fit(inputs, targets, batch_size=5, epochs=2, shuffle='batch', verbose=0)
        model.fit(inputs, targets, batch_size=5, epochs=1, shuffle=True, verbose=0)
        results.append((history.history['loss'],
                        model.evaluate(inputs, targets, batch_size=5, verbose=0),
                        model.predict(inputs, batch_size=5), model.get_weights()))
    assert read and max(read) <= 5  # batch by batch, never the whole dataset
    memory, file = results
    np.testing.assert_allclose(file[0], memory[0], rtol=1e-6)
    np.testing.assert_allclose(file[1], memory[1], rtol=1e-6)
    np.testing.assert_allclose(file[2], memory[2], rtol=1e-6)
    for a, b in zip(file[3], memory[3]):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_bad_paths_and_rows(data_file, tmp_path):
    path, _, _ = data_file
    with pytest.raises(ValueError, match="no dataset 'z'"):
        HDF5Matrix(path, 'z')
    with pytest.raises(ValueError, match="no dataset 'group'"):
        HDF5Matrix(path, 'group')
    with pytest.raises(ValueError, match='rows 5:40 are not within the 23 rows'):
        HDF5Matrix(path, 'x', start=5, end=40)
    with pytest.raises(FileNotFoundError, match='no file found'):
        HDF5Matrix(str(tmp_path / 'missing.h5'), 'x')
    text = tmp_path / 'text.h5'
    text.write_text('not hdf5')
    with pytest.raises(OSError, match='not a readable HDF5 file'):
        HDF5Matrix(str(text), 'x')
