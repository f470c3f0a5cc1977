"""gkeras.preprocessing: Keras 2's data preparation utilities (sequence, text)."""
from . import sequence, text
