"""keras.engine.saving."""
from ..models.saving import (load_model, model_from_config, model_from_json, model_from_yaml,
                             save_model)
