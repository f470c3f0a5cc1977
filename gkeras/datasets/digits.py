"""UCI ML hand-written digits (8x8) data set, bundled with gkeras.

1,797 grayscale images of the handwritten digits 0..9, each 8x8 pixels with
integer intensities 0..16 (each pixel counts the "on" pixels in a 4x4 block of
the original 32x32 bitmap).

Source: the UCI Machine Learning Repository "Optical Recognition of
Handwritten Digits" data set (E. Alpaydin, C. Kaynak, 1998), test portion, as
redistributed by scikit-learn (``sklearn.datasets.load_digits``).
License: Creative Commons Attribution 4.0 International (CC BY 4.0).
https://archive.ics.uci.edu/dataset/80/optical+recognition+of+handwritten+digits

The file ``digits.npz`` next to this module was written by
``tools/make_digits.py``; loading it needs only NumPy.
"""
from importlib.resources import files

import numpy as np

__all__ = ["load_data"]


def _load_arrays():
    with files("gkeras.datasets").joinpath("digits.npz").open("rb") as fh:
        with np.load(fh) as f:
            return np.array(f["images"]), np.array(f["labels"])


def load_data(test_split=0.2, seed=113):
    """Loads the UCI 8x8 digits data set.

    The 1,797 samples are shuffled deterministically with
    ``numpy.random.default_rng(seed)`` and then split: the first
    ``int(n * (1 - test_split))`` samples form the training set, the rest
    the test set.

    Args:
        test_split: fraction of the data to reserve as the test set, in (0, 1).
        seed: random seed for the shuffle before the split.

    Returns:
        Tuple of NumPy arrays ``(x_train, y_train), (x_test, y_test)``;
        ``x`` is uint8 of shape ``(n, 8, 8)`` with values 0..16 and ``y`` is
        uint8 of shape ``(n,)`` with digit labels 0..9.

    Raises:
        ValueError: if ``test_split`` is not strictly between 0 and 1.
    """
    try:
        ok = 0.0 < float(test_split) < 1.0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(
            "test_split must be a float in the open interval (0, 1), got %r"
            % (test_split,)
        )
    x, y = _load_arrays()
    rng = np.random.default_rng(seed)
    indices = rng.permutation(len(x))
    x = x[indices]
    y = y[indices]
    n_train = int(len(x) * (1 - test_split))
    x_train, y_train = x[:n_train], y[:n_train]
    x_test, y_test = x[n_train:], y[n_train:]
    return (x_train, y_train), (x_test, y_test)
