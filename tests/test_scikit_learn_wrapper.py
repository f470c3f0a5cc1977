"""gkeras.wrappers.scikit_learn: KerasClassifier / KerasRegressor as Keras 2.2 defines them
(without scikit-learn: the estimator protocol is get_params / set_params / fit / predict /
score), checked against NumPy computations of what the wrapped model does."""
import numpy as np
import pytest

from gkeras import initializers
from gkeras.layers import Dense
from gkeras.models import Sequential
from gkeras.wrappers.scikit_learn import KerasClassifier, KerasRegressor


def classifier_model(hidden=4, loss='sparse_categorical_crossentropy', classes=3):
    model = Sequential([Dense(hidden, activation='relu', input_shape=(5,)),
                        Dense(classes, activation='softmax' if classes > 1 else 'sigmoid')])
    model.compile('adam', loss, metrics=['accuracy'])
    return model


def data(rng, n=30, classes=3):
    x = rng.standard_normal((n, 5)).astype('float32')
    return x, np.argmax(x[:, :classes], axis=1)


def test_classifier_maps_labels_and_scores_accuracy(rng):
    x, y = data(rng)
    names = np.array(['cat', 'dog', 'eel'])[y]
    clf = KerasClassifier(classifier_model, hidden=6, epochs=3, batch_size=8, verbose=0)
    history = clf.fit(x, names)
    assert len(history.history['loss']) == 3
    assert clf.model.layers[0].units == 6 and clf.n_classes_ == 3
    assert list(clf.classes_) == ['cat', 'dog', 'eel']
    proba = clf.predict_proba(x)
    np.testing.assert_allclose(proba, clf.model.predict(x), rtol=1e-6)
    predicted = clf.predict(x)
    np.testing.assert_array_equal(predicted, clf.classes_[proba.argmax(axis=1)])
    accuracy = clf.score(x, names)
    assert accuracy == pytest.approx(np.mean(predicted == names), abs=1e-6)


def test_categorical_crossentropy_gets_one_hot_targets(rng):
    x, y = data(rng)
    clf = KerasClassifier(lambda: classifier_model(loss='categorical_crossentropy'),
                          epochs=1, verbose=0)
    clf.fit(x, y)
    assert clf.score(x, y) == pytest.approx(np.mean(clf.predict(x) == y), abs=1e-6)
    one_hot = np.eye(3)[y]
    clf.fit(x, one_hot)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])


def test_one_unit_classifier(rng):
    x, y = data(rng, classes=2)
    clf = KerasClassifier(lambda: classifier_model(loss='binary_crossentropy', classes=1),
                          epochs=1, verbose=0)
    clf.fit(x, y, sample_weight=np.ones(len(y)))
    p = clf.model.predict(x)
    proba = clf.predict_proba(x)
    np.testing.assert_allclose(proba, np.hstack([1 - p, p]), rtol=1e-6)
    np.testing.assert_array_equal(clf.predict(x).ravel(), (p > 0.5).astype(int).ravel())


def test_regressor_predicts_and_scores_minus_the_loss(rng):
    x = rng.standard_normal((20, 5)).astype('float32')
    y = x @ np.arange(1., 6.).astype('float32')

    def build():
        model = Sequential([Dense(1, input_shape=(5,),
                                  kernel_initializer=initializers.Constant(0.5))])
        model.compile('sgd', 'mse')
        return model
    reg = KerasRegressor(build, epochs=2, batch_size=5, verbose=0)
    reg.fit(x, y)
    predicted = reg.predict(x)
    assert predicted.shape == (20,)
    np.testing.assert_allclose(predicted, reg.model.predict(x)[:, 0], rtol=1e-6)
    assert reg.score(x, y) == pytest.approx(-np.mean((predicted - y) ** 2), rel=1e-5)


def test_parameters(rng):
    clf = KerasClassifier(classifier_model, hidden=3, epochs=2)
    params = clf.get_params()
    assert params == {'build_fn': classifier_model, 'hidden': 3, 'epochs': 2}
    clone = KerasClassifier(**params)  # what sklearn.base.clone does
    assert clone.get_params() == params
    assert clf.set_params(hidden=7) is clf and clf.sk_params['hidden'] == 7
    with pytest.raises(ValueError, match='wings is not a legal parameter'):
        KerasClassifier(classifier_model, wings=2)
    with pytest.raises(ValueError, match='wings is not a legal parameter'):
        clf.set_params(wings=2)
    KerasClassifier(classifier_model, nb_epoch=2)  # Keras 1's name passes the check

    class Builder:
        def __call__(self, hidden=2):
            return classifier_model(hidden)
    x, y = data(rng)
    by_object = KerasClassifier(Builder(), hidden=5, epochs=1, verbose=0)
    by_object.fit(x, y)
    assert by_object.model.layers[0].units == 5

    class OwnBuilder(KerasClassifier):
        def __call__(self, hidden=2):
            return classifier_model(hidden)
    own = OwnBuilder(hidden=4, epochs=1, verbose=0)
    own.fit(x, y)
    assert own.model.layers[0].units == 4


def test_score_needs_accuracy(rng):
    x, y = data(rng)

    def build():
        model = Sequential([Dense(3, activation='softmax', input_shape=(5,))])
        model.compile('sgd', 'sparse_categorical_crossentropy')
        return model
    clf = KerasClassifier(build, epochs=1, verbose=0)
    clf.fit(x, y)
    with pytest.raises(ValueError, match='metrics=\\["accuracy"\\]'):
        clf.score(x, y)
    with pytest.raises(ValueError, match='Invalid shape for y'):
        clf.fit(x, np.zeros((30, 1, 2)))


def test_with_scikit_learn_itself(rng):
    # scikit-learn is not a dependency: this runs where it happens to be installed
    sklearn_model_selection = pytest.importorskip('sklearn.model_selection')
    from sklearn.base import clone, is_classifier, is_regressor
    x, y = data(rng, n=24)
    clf = KerasClassifier(classifier_model, epochs=1, batch_size=8, verbose=0)
    scores = sklearn_model_selection.cross_val_score(clf, x, y, cv=2)
    assert scores.shape == (2,) and np.all((0 <= scores) & (scores <= 1))
    search = sklearn_model_selection.GridSearchCV(clf, {'hidden': [2, 3]}, cv=2).fit(x, y)
    assert search.best_params_['hidden'] in (2, 3)
    assert is_classifier(clf) and is_regressor(KerasRegressor(classifier_model))
    assert clone(clf).get_params() == clf.get_params()
