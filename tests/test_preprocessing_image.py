"""gkeras.preprocessing.image: tf_keras 2.21's ImageDataGenerator numbers
(tests/fixtures/image_reference.npz: scipy.ndimage affine transforms, PIL brightness, the
random draws of a seed, fit/standardize, flow batches), a per-pixel loop reference of the
bilinear sampling for each fill mode, the errors, and a model trained from datagen.flow.

The module is host NumPy only (images are augmented on the CPU before batches reach a
backend), so these tests do not go through the `backend` fixture."""
import json
import math
import os

import numpy as np
import pytest

from gkeras import layers, models
from gkeras.preprocessing import image
from gkeras.utils import Sequence

FIXTURE = os.path.join(os.path.dirname(__file__), 'fixtures', 'image_reference.npz')
with np.load(FIXTURE) as _file:
    REFERENCE = {key: _file[key] for key in _file.files}
KEYS = ['theta', 'tx', 'ty', 'shear', 'zx', 'zy', 'flip_horizontal', 'flip_vertical',
        'channel_shift_intensity', 'brightness']


def _cases(group):
    return sorted({key.split('/')[1] for key in REFERENCE if key.startswith(group + '/')})


def _get(group, case, name, default=None):
    value = REFERENCE.get(f'{group}/{case}/{name}', default)
    return json.loads(str(value)) if getattr(value, 'dtype', None) is not None and \
        value.dtype.kind == 'U' else value


@pytest.mark.parametrize('case', _cases('apply'))
def test_apply_transform_matches_tf_keras(case):
    gen = image.ImageDataGenerator(**_get('apply', case, 'gen'))
    x = _get('apply', case, 'x')
    y = gen.apply_transform(x.copy(), _get('apply', case, 'params'))
    assert y.shape == x.shape and y.dtype == np.float32
    np.testing.assert_array_equal(y, _get('apply', case, 'y'))


@pytest.mark.parametrize('case', _cases('affine'))
def test_apply_affine_transform_matches_scipy(case):
    x = _get('affine', case, 'x')
    y = image.apply_affine_transform(x, **_get('affine', case, 'kwargs'))
    assert y.dtype == x.dtype
    np.testing.assert_array_equal(y, _get('affine', case, 'y'))


def test_apply_transform_non_contiguous_input():
    case = 'combined_reflect'
    gen = image.ImageDataGenerator(**_get('apply', case, 'gen'))
    x = _get('apply', case, 'x')
    strided = np.zeros((x.shape[0], 2 * x.shape[1], x.shape[2]), np.float32)[:, ::2]
    strided[...] = x
    np.testing.assert_array_equal(gen.apply_transform(strided, _get('apply', case, 'params')),
                                  _get('apply', case, 'y'))


@pytest.mark.parametrize('case', _cases('random'))
def test_random_transform_draws_match_tf_keras(case):
    gen = image.ImageDataGenerator(**_get('random', case, 'gen'))
    shape = tuple(_get('random', case, 'shape'))
    seeds = _get('random', case, 'seeds')
    expected, none = _get('random', case, 'params'), _get('random', case, 'none')
    for seed, row, row_none in zip(seeds, expected, none):
        params = gen.get_random_transform(shape, seed=int(seed))
        assert sorted(params) == sorted(KEYS)
        assert [params[k] is None for k in KEYS] == list(row_none)
        got = [0.0 if params[k] is None else float(params[k]) for k in KEYS]
        np.testing.assert_array_equal(got, row)
    x = _get('random', case, 'x')
    np.testing.assert_allclose(gen.random_transform(x.copy(), seed=int(seeds[0])),
                               _get('random', case, 'y'), rtol=0, atol=1e-5)


@pytest.mark.parametrize('case', _cases('fit'))
def test_fit_and_standardize_match_tf_keras(case):
    with pytest.warns(UserWarning) if case == 'zca' else _no_warning():
        gen = image.ImageDataGenerator(**_get('fit', case, 'gen'))
    augment = bool(_get('fit', case, 'augment'))
    gen.fit(_get('fit', case, 'x'), augment=augment, rounds=2, seed=3 if augment else None)
    for name, value in (('mean', gen.mean), ('std', gen.std), ('zca', gen.zca_whitening_matrix)):
        expected = _get('fit', case, name)
        if expected is None:
            assert value is None, name
        else:
            np.testing.assert_allclose(value, expected, rtol=2e-5, atol=2e-6, err_msg=name)
    assert gen.principal_components is gen.zca_whitening_matrix
    batch = _get('fit', case, 'batch').copy()
    np.testing.assert_allclose(gen.standardize(batch), _get('fit', case, 'standardized'),
                               rtol=1e-4, atol=1e-5)


class _no_warning:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _parts(batch):
    return list(batch) if isinstance(batch, tuple) else [batch]


@pytest.mark.parametrize('case', _cases('flow'))
def test_flow_batches_match_tf_keras(case):
    gen = image.ImageDataGenerator(**_get('flow', case, 'gen'))
    kwargs = _get('flow', case, 'kwargs')
    x, y, w = (_get('flow', case, name) for name in ('x', 'y', 'sample_weight'))
    it = gen.flow(x, y, sample_weight=w, **kwargs)
    assert isinstance(it, Sequence)
    batches = [_parts(next(it)) for _ in range(2 * len(it) + 1)]
    assert [len(b[0]) for b in batches] == list(_get('flow', case, 'next_sizes'))
    for k, name in enumerate(['x', 'y', 'w'][:len(batches[0])]):
        np.testing.assert_allclose(np.concatenate([b[k] for b in batches]),
                                   _get('flow', case, f'next_{name}'), rtol=0, atol=1e-6)
    it = gen.flow(x, y, sample_weight=w, **kwargs)
    items = [_parts(it[i]) for i in range(len(it))]
    it.on_epoch_end()
    items += [_parts(it[i]) for i in range(len(it))]
    for k, name in enumerate(['x', 'y', 'w'][:len(items[0])]):
        np.testing.assert_allclose(np.concatenate([b[k] for b in items]),
                                   _get('flow', case, f'item_{name}'), rtol=0, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# an independent per-pixel reference of the sampling
# ---------------------------------------------------------------------------------------------
def _loop_sample(img, matrix, offset, mode, cval):
    """Bilinear sampling written from the border definitions: 'nearest' repeats the edge
    pixel, 'reflect' mirrors about the pixel edges (dcba|abcd|dcba), 'wrap' (scipy's) repeats
    the coordinate with period size - 1, 'constant' gives cval outside [0, size - 1]."""
    height, width = img.shape
    out = np.empty_like(img, dtype=np.float64)

    def tap(index, size):
        if mode == 'reflect':
            index %= 2 * size
            return index if index < size else 2 * size - 1 - index
        return min(max(index, 0), size - 1)

    for i in range(height):
        for j in range(width):
            r = matrix[0][0] * i + matrix[0][1] * j + offset[0]
            c = matrix[1][0] * i + matrix[1][1] * j + offset[1]
            if mode == 'constant' and not (0 <= r <= height - 1 and 0 <= c <= width - 1):
                out[i, j] = cval
                continue
            if mode == 'wrap':
                r = r % (height - 1) if height > 1 else 0.0
                c = c % (width - 1) if width > 1 else 0.0
            r0, c0 = math.floor(r), math.floor(c)
            fr, fc = r - r0, c - c0
            out[i, j] = sum(weight * img[tap(r0 + a, height), tap(c0 + b, width)]
                            for a, b, weight in ((0, 0, (1 - fr) * (1 - fc)),
                                                 (0, 1, (1 - fr) * fc),
                                                 (1, 0, fr * (1 - fc)),
                                                 (1, 1, fr * fc)))
    return out


@pytest.mark.parametrize('mode', ['nearest', 'constant', 'reflect', 'wrap'])
@pytest.mark.parametrize('shape', [(7, 9), (5, 1), (1, 6)])
def test_sampling_matches_a_loop_reference(mode, shape):
    rng = np.random.default_rng(len(mode) + shape[0])
    img = rng.normal(size=(2,) + shape)
    for scale in (0.8, 3.0):
        matrix = rng.normal(scale=scale, size=(2, 2))
        offset = rng.normal(scale=6, size=2)
        got = image._affine_sample(img, matrix, offset, mode, -1.5, order=1)
        for channel in range(2):
            np.testing.assert_allclose(got[channel],
                                       _loop_sample(img[channel], matrix, offset, mode, -1.5),
                                       rtol=0, atol=1e-12)


def test_rotation_of_a_square_image_by_180_degrees_reverses_it():
    x = np.arange(2 * 25, dtype=np.float32).reshape(5, 5, 2)
    np.testing.assert_allclose(image.apply_affine_transform(x, theta=180), x[::-1, ::-1],
                               atol=1e-5)


def test_brightness_without_pil_arithmetic():
    x = np.array([[[0.], [100.], [255.]]], np.float32)
    # PIL's blend with black: uint8(float32(factor) * value), clipped to [0, 255]
    np.testing.assert_array_equal(image.apply_brightness_shift(x, 0.5, scale=False)[..., 0],
                                  [[0., 50., 127.]])
    np.testing.assert_array_equal(image.apply_brightness_shift(x, 2.0, scale=False)[..., 0],
                                  [[0., 200., 255.]])


# ---------------------------------------------------------------------------------------------
# flow details, errors and training
# ---------------------------------------------------------------------------------------------
def test_flow_extra_inputs_and_subset_sample_weights():
    x = np.arange(10 * 2 * 2 * 1, dtype=np.float32).reshape(10, 2, 2, 1)
    extra = np.arange(10) * 10
    y = np.arange(10) % 2
    weights = np.arange(10, dtype=np.float32)
    gen = image.ImageDataGenerator(validation_split=0.4)
    it = gen.flow((x, extra), y, sample_weight=weights, batch_size=3, shuffle=False,
                  subset='training')
    (batch_x, batch_extra), batch_y, batch_w = it[0]
    np.testing.assert_array_equal(batch_x, x[4:7])
    np.testing.assert_array_equal(batch_extra, extra[4:7])
    np.testing.assert_array_equal(batch_y, y[4:7])
    # keras_preprocessing leaves sample_weight unsplit, pairing x[4] with weight 0
    np.testing.assert_array_equal(batch_w, weights[4:7])
    assert len(it) == 2 and len(gen.flow(x, y, subset='validation', batch_size=3)) == 2


def test_errors():
    with pytest.raises(ValueError, match='data_format'):
        image.ImageDataGenerator(data_format='channels_middle')
    with pytest.raises(ValueError, match='validation_split'):
        image.ImageDataGenerator(validation_split=1.5)
    with pytest.raises(ValueError, match='zoom_range'):
        image.ImageDataGenerator(zoom_range=(0.5, 1.0, 2.0))
    with pytest.raises(ValueError, match='brightness_range'):
        image.ImageDataGenerator(brightness_range=0.5)
    with pytest.raises(ValueError, match="fill_mode='mirrored'"):
        image.ImageDataGenerator(fill_mode='mirrored')
    gen = image.ImageDataGenerator(validation_split=0.5)
    x = np.zeros((4, 3, 3, 3), np.float32)
    with pytest.raises(ValueError, match='rank 4'):
        gen.flow(x[0])
    with pytest.raises(ValueError, match='should have rank 4'):
        gen.fit(x[0])
    with pytest.raises(ValueError, match='same length'):
        gen.flow(x, np.zeros(3))
    with pytest.raises(ValueError, match='same length'):
        gen.flow(x, np.zeros(4), sample_weight=np.ones(5))
    with pytest.raises(ValueError, match='Invalid subset name'):
        gen.flow(x, subset='test')
    with pytest.raises(ValueError, match='different number of classes'):
        gen.flow(x, np.array([0, 0, 1, 1]), subset='training')
    with pytest.raises(ValueError, match='order'):
        image.apply_affine_transform(x[0], theta=10, order=3)
    with pytest.raises(ValueError, match='multi-channel 2D'):
        image.apply_affine_transform(x[0, 0], theta=10)
    with pytest.raises(ValueError, match='distinct'):
        image.apply_affine_transform(x[0], theta=10, row_axis=0, col_axis=0)
    with pytest.raises(ValueError, match='has length 1'):
        gen.flow(x, batch_size=4)[1]
    with pytest.warns(UserWarning, match='hasn\'t been fit'):
        image.ImageDataGenerator(featurewise_center=True).standardize(x.copy())


def test_pil_functions_raise_keras_import_error_without_pil():
    if image.pil_image is not None:
        pytest.skip('PIL is installed')
    x = np.zeros((2, 2, 3), np.float32)
    with pytest.raises(ImportError, match='The use of `array_to_img` requires PIL'):
        image.array_to_img(x)
    with pytest.raises(ImportError, match='requires PIL'):
        image.load_img('missing.png')
    with pytest.raises(ImportError, match='requires PIL'):
        image.ImageDataGenerator().flow_from_directory('.')
    with pytest.raises(ImportError, match='requires PIL'):
        image.ImageDataGenerator().flow(x[None], save_to_dir='.')


def test_img_to_array_on_arrays():
    gray = np.arange(6).reshape(2, 3)
    assert image.img_to_array(gray).shape == (2, 3, 1)
    assert image.img_to_array(gray, data_format='channels_first').shape == (1, 2, 3)
    rgb = np.arange(24).reshape(2, 4, 3)
    np.testing.assert_array_equal(image.img_to_array(rgb, data_format='channels_first'),
                                  rgb.transpose(2, 0, 1))
    assert image.img_to_array(rgb).dtype == np.float32


def test_fit_generator_trains_on_datagen_flow():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (24, 6, 6, 3)).astype(np.float32)
    y = np.eye(2, dtype=np.float32)[(x[:, :, :3].mean((1, 2, 3)) > x[:, :, 3:].mean((1, 2, 3)))
                                    .astype(int)]
    datagen = image.ImageDataGenerator(rotation_range=10, width_shift_range=0.1,
                                       horizontal_flip=True, featurewise_center=True)
    datagen.fit(x)
    model = models.Sequential([layers.Conv2D(4, 3, activation='relu', input_shape=(6, 6, 3)),
                               layers.Flatten(), layers.Dense(2, activation='softmax')])
    model.compile('sgd', 'categorical_crossentropy')
    before = [w.copy() for w in model.get_weights()]
    history = model.fit_generator(datagen.flow(x, y, batch_size=8, seed=1), steps_per_epoch=3,
                                  epochs=2, verbose=0)
    assert len(history.history['loss']) == 2
    assert all(np.isfinite(history.history['loss']))
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
