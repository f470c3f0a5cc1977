"""keras.engine.training."""
from ..models.training import Model
