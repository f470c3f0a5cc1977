"""keras.engine.sequential."""
from ..models.sequential import Sequential
