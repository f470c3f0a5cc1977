"""HDF5Matrix: a dataset of an HDF5 file used in place of a NumPy array (Keras 2's), read a
batch at a time."""
import os

import numpy as np


class HDF5Matrix:
    """Rows start:end of the HDF5 dataset `dataset` in the file `datapath`, as an array-like that
    fit, evaluate and predict read batch by batch (it is never loaded whole), each read passed
    through `normalizer` when one is given. Files are opened once, read-only, and shared.

    Rows may be asked for in any order (shuffle=True works, not only shuffle='batch' as in
    Keras 2): they are read in increasing order, as HDF5 requires, and put back in the order
    asked. An integer or index array past the rows raises IndexError; slices are clipped to the
    rows, as NumPy's are (the training loops' last batch asks for a full one).
    """
    refs = {}

    def __init__(self, datapath, dataset, start=0, end=None, normalizer=None):
        import h5py
        if datapath not in self.refs:
            if not os.path.exists(datapath):
                raise FileNotFoundError(f"HDF5Matrix: no file found at {datapath!r}.")
            try:
                self.refs[datapath] = h5py.File(datapath, 'r')
            except OSError as error:
                raise OSError(f"HDF5Matrix: {datapath!r} is not a readable HDF5 file: "
                              f"{error}") from error
        handle = self.refs[datapath]
        if dataset not in handle or not isinstance(handle[dataset], h5py.Dataset):
            raise ValueError(f"HDF5Matrix: {datapath!r} has no dataset {dataset!r}.")
        self.data = handle[dataset]
        self.start = start
        self.end = self.data.shape[0] if end is None else end
        if not 0 <= self.start <= self.end <= self.data.shape[0]:
            raise ValueError(f"HDF5Matrix: rows {self.start}:{self.end} are not within the "
                             f"{self.data.shape[0]} rows of {dataset!r} in {datapath!r}.")
        self.normalizer = normalizer
        first = self.data[0:1]
        if normalizer is not None:
            first = normalizer(first)
        self._base_shape = tuple(first.shape[1:])
        self._base_dtype = first.dtype

    def __len__(self):
        return self.end - self.start

    def _rows(self, rows):
        """The dataset's rows at the positions `rows` (an integer array, negative ones counted
        from the end), in that order."""
        if rows.size and (rows.min() < -len(self) or rows.max() >= len(self)):
            raise IndexError(f"HDF5Matrix: index out of range for {len(self)} rows.")
        rows = np.where(rows < 0, rows + len(self), rows)
        wanted, where = np.unique(rows + self.start, return_inverse=True)
        return self.data[wanted.tolist()][where]

    def __getitem__(self, key):
        if isinstance(key, slice):
            start, stop, step = key.indices(len(self))  # clipped to the rows, as NumPy does
            values = self.data[self.start + start:self.start + stop:step] if step > 0 else \
                self._rows(np.arange(start, stop, step))
        elif isinstance(key, (int, np.integer)):
            if not -len(self) <= key < len(self):
                raise IndexError(f"HDF5Matrix: index {key} out of range for {len(self)} rows.")
            values = self.data[self.start + int(key) % len(self)]
        else:
            values = self._rows(np.asarray(key, dtype=np.int64).reshape(-1))
        return self.normalizer(values) if self.normalizer is not None else values

    @property
    def shape(self):
        return (len(self),) + self._base_shape

    @property
    def dtype(self):
        return self._base_dtype

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape))
