"""gkeras.utils: to_categorical, normalize, Progbar, print_summary, plot_model, Sequence."""
from .data_utils import GeneratorEnqueuer, OrderedEnqueuer, Sequence, SequenceEnqueuer, get_file
from .generic_utils import func_dump, func_load
from .io_utils import HDF5Matrix
from .layer_utils import (convert_all_kernels_in_model, count_params, get_source_inputs,
                          print_summary)
from .multi_gpu_utils import multi_gpu_model
from .np_utils import normalize, to_categorical
from .progbar import Progbar
from .vis_utils import model_to_dot, plot_model
from ..layers.serialization import CustomObjectScope, custom_object_scope, get_custom_objects
from ..registry import deserialize_keras_object, serialize_keras_object
