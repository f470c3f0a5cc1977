"""Generate gkeras/datasets/digits.npz from scikit-learn's copy of the UCI digits.

The UCI ML hand-written digits data set (Alpaydin & Kaynak, 1998; CC BY 4.0):
1,797 grayscale 8x8 images of digits 0..9 with integer pixel values 0..16.

Run (needs scikit-learn; gkeras itself does not):

    python tools/make_digits.py

The output is committed; scikit-learn is only needed to regenerate it.
"""
import os

import numpy as np
from sklearn.datasets import load_digits

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, os.pardir, "gkeras", "datasets", "digits.npz")


def main():
    d = load_digits()
    images = np.asarray(d.images)
    labels = np.asarray(d.target)
    assert images.shape == (1797, 8, 8), images.shape
    assert labels.shape == (1797,), labels.shape
    assert images.min() >= 0 and images.max() <= 16
    assert np.all(images == np.round(images))
    images = images.astype(np.uint8)
    labels = labels.astype(np.uint8)
    out = os.path.normpath(OUT)
    np.savez_compressed(out, images=images, labels=labels)
    with np.load(out) as f:
        assert np.array_equal(f["images"], images)
        assert np.array_equal(f["labels"], labels)
    print("wrote %s (%d bytes)" % (out, os.path.getsize(out)))


if __name__ == "__main__":
    main()
