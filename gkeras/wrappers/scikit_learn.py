"""KerasClassifier and KerasRegressor: scikit-learn estimators around a function that builds a
compiled model, as Keras 2.2's keras.wrappers.scikit_learn (scikit-learn itself is not needed).

`build_fn` (a function, or an object whose __call__ builds; None: the wrapper's own __call__)
takes the keyword arguments it names from `sk_params`; fit, predict, predict_proba and score
take those that Sequential's fit, predict, predict_classes and evaluate name.
"""
import copy
import inspect
import types

import numpy as np

from ..models import Sequential
from ..utils.np_utils import to_categorical


def _has_arg(fn, name):
    """Whether fn can be called with the keyword argument `name`."""
    parameters = inspect.signature(fn).parameters
    if name in parameters:
        return parameters[name].kind not in (inspect.Parameter.VAR_POSITIONAL,
                                              inspect.Parameter.POSITIONAL_ONLY)
    return False


def _loss_name(model):
    loss = model.loss
    return getattr(loss, '__name__', loss)


class BaseWrapper:
    """The parameters and the fitting shared by the classifier and the regressor."""

    def __init__(self, build_fn=None, **sk_params):
        self.build_fn = build_fn
        self.sk_params = sk_params
        self.check_params(sk_params)

    def _builder(self):
        if self.build_fn is None:
            return self.__call__
        if not isinstance(self.build_fn, (types.FunctionType, types.MethodType)):
            return self.build_fn.__call__
        return self.build_fn

    def check_params(self, params):
        """ValueError for a parameter that neither the builder nor fit, predict,
        predict_classes or evaluate takes (nb_epoch passes, as in Keras 2)."""
        legal = [Sequential.fit, Sequential.predict, Sequential.predict_classes,
                 Sequential.evaluate, self._builder()]
        for name in params:
            if name != 'nb_epoch' and not any(_has_arg(fn, name) for fn in legal):
                raise ValueError(f'{name} is not a legal parameter')

    def get_params(self, **params):
        """A deep copy of sk_params, with build_fn."""
        res = copy.deepcopy(self.sk_params)
        res.update({'build_fn': self.build_fn})
        return res

    def set_params(self, **params):
        self.check_params(params)
        self.sk_params.update(params)
        return self

    def fit(self, x, y, **kwargs):
        """Build the model and fit it; a categorical_crossentropy model gets one-hot targets.
        Returns its History."""
        builder = self._builder()
        self.model = builder(**self.filter_sk_params(builder))
        if _loss_name(self.model) == 'categorical_crossentropy' and len(y.shape) != 2:
            y = to_categorical(y)
        fit_args = copy.deepcopy(self.filter_sk_params(Sequential.fit))
        fit_args.update(kwargs)
        return self.model.fit(x, y, **fit_args)

    def filter_sk_params(self, fn, override=None):
        """The sk_params fn takes, updated with override."""
        res = {name: value for name, value in self.sk_params.items() if _has_arg(fn, name)}
        res.update(override or {})
        return res


def _tags(estimator, kind):
    """scikit-learn >= 1.6's estimator tags (its own classes; imported only when it asks)."""
    from sklearn.base import BaseEstimator
    from sklearn.utils import ClassifierTags, RegressorTags
    tags = BaseEstimator.__sklearn_tags__(estimator)
    tags.estimator_type = kind
    if kind == 'classifier':
        tags.classifier_tags = ClassifierTags()
    else:
        tags.regressor_tags = RegressorTags()
    tags.target_tags.required = True
    return tags


class KerasClassifier(BaseWrapper):
    """A scikit-learn classifier: labels of any sortable kind, mapped to 0..n-1 for the model."""
    _estimator_type = 'classifier'  # what scikit-learn < 1.6 reads

    def __sklearn_tags__(self):
        return _tags(self, 'classifier')

    def fit(self, x, y, sample_weight=None, **kwargs):
        y = np.array(y)
        if len(y.shape) == 2 and y.shape[1] > 1:
            self.classes_ = np.arange(y.shape[1])
        elif (len(y.shape) == 2 and y.shape[1] == 1) or len(y.shape) == 1:
            self.classes_ = np.unique(y)
            y = np.searchsorted(self.classes_, y)
        else:
            raise ValueError('Invalid shape for y: ' + str(y.shape))
        self.n_classes_ = len(self.classes_)
        if sample_weight is not None:
            kwargs['sample_weight'] = sample_weight
        return super().fit(x, y, **kwargs)

    def predict(self, x, **kwargs):
        """The predicted labels (argmax, or probability > 0.5 for one output unit)."""
        kwargs = self.filter_sk_params(Sequential.predict_classes, kwargs)
        proba = self.model.predict(x, **kwargs)
        classes = proba.argmax(axis=-1) if proba.shape[-1] > 1 else (proba > 0.5).astype('int32')
        return self.classes_[classes]

    def predict_proba(self, x, **kwargs):
        """Class probabilities; a one-unit output gives the two columns [1 - p, p]."""
        kwargs = self.filter_sk_params(Sequential.predict_proba, kwargs)
        probs = self.model.predict(x, **kwargs)
        if probs.shape[1] == 1:
            probs = np.hstack([1 - probs, probs])
        return probs

    def score(self, x, y, **kwargs):
        """The model's accuracy on (x, y) (it must have been compiled with that metric)."""
        y = np.searchsorted(self.classes_, y)
        kwargs = self.filter_sk_params(Sequential.evaluate, kwargs)
        if _loss_name(self.model) == 'categorical_crossentropy' and len(y.shape) != 2:
            y = to_categorical(y)
        outputs = self.model.evaluate(x, y, **kwargs)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        for name, output in zip(self.model.metrics_names, outputs):
            if name in ('acc', 'accuracy'):
                return output
        raise ValueError('The model is not configured to compute accuracy. You should pass '
                         '`metrics=["accuracy"]` to the `model.compile()` method.')


class KerasRegressor(BaseWrapper):
    """A scikit-learn regressor."""
    _estimator_type = 'regressor'

    def __sklearn_tags__(self):
        return _tags(self, 'regressor')

    def predict(self, x, **kwargs):
        """Predictions, without a last axis of size 1."""
        kwargs = self.filter_sk_params(Sequential.predict, kwargs)
        preds = np.array(self.model.predict(x, **kwargs))
        return np.squeeze(preds, axis=-1) if preds.shape[-1] == 1 else preds

    def score(self, x, y, **kwargs):
        """Minus the loss on (x, y) (scikit-learn maximizes scores)."""
        kwargs = self.filter_sk_params(Sequential.evaluate, kwargs)
        loss = self.model.evaluate(x, y, **kwargs)
        return -loss[0] if isinstance(loss, list) else -loss
