"""gkeras.backend: backend selection and the Keras 2 backend functions (`K`)."""
from .autodiff import Tensor, Variable, no_grad
from .config import (epsilon, floatx, image_data_format, learning_phase, normalize_data_format,
                     set_epsilon, set_floatx, set_image_data_format, set_learning_phase)
from .ctc import *  # noqa: F401,F403  (ctc_batch_cost, ctc_decode in the K namespace)
from .functions import *  # noqa: F401,F403  (the K namespace, as in Keras)
from .functions import backend
from .selection import active, set_backend
from .spatial import *  # noqa: F401,F403  (conv1d/2d/3d, pool2d/3d, ... in the K namespace)

