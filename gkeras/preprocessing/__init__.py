"""gkeras.preprocessing: Keras 2's data preparation utilities (image, sequence, text)."""
from . import image
from . import sequence, text
