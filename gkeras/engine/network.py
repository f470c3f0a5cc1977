"""keras.engine.network."""
from ..models.functional import Network
from ..utils.layer_utils import get_source_inputs
