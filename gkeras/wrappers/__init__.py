"""gkeras.wrappers: scikit-learn style estimators around gkeras models."""
from . import scikit_learn
