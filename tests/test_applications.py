"""gkeras.applications against Keras 2.2.5 (tests/fixtures/applications_reference.*, written by
tools/make_applications_fixtures.py), preprocess_input against NumPy formulas, and
gkeras.utils.get_file on file:// origins (no network)."""
import hashlib
import io
import json
import os
import pathlib
import tarfile
import urllib.request
import zipfile

import numpy as np
import pytest

import gkeras
from gkeras import applications
from gkeras import backend as K
from gkeras.applications import (densenet, imagenet_utils, inception_resnet_v2, inception_v3,
                                 mobilenet, mobilenet_v2, nasnet, resnet, resnet50, resnet_v2, vgg16,
                                 vgg19, xception)
from gkeras.utils import get_file

FIXTURES = pathlib.Path(__file__).parent / 'fixtures'
with open(FIXTURES / 'applications_reference.json') as f:
    REFERENCE = json.load(f)
OUTPUTS = np.load(FIXTURES / 'applications_reference.npz')


@pytest.fixture
def restore_data_format():
    """Restores channels_last after a test that changes the image data format."""
    yield
    K.set_image_data_format('channels_last')


def build(config):
    """The fixture's model `config` built by gkeras with weights=None, names numbered as after
    a fresh session."""
    K.clear_session()
    K.set_image_data_format(config['data_format'])
    kwargs = dict(config['kwargs'])
    if 'input_shape' in kwargs:
        kwargs['input_shape'] = tuple(kwargs['input_shape'])
    return constructor_named(config['constructor'])(weights=None, **kwargs)


def constructor_named(name):
    """gkeras.applications.<name>; a dotted name reaches into a module ('resnet.ResNet50')."""
    found = applications
    for part in name.split('.'):
        found = getattr(found, part)
    return found


def describe(model):
    """Per layer: [name, class, output shape, [weight name, weight shape]...], as the fixture."""
    layers = []
    for layer in model.layers:
        entry = [layer.name, type(layer).__name__, list(layer.output_shape)]
        entry += [[w.name, list(w.shape)] for w in layer.weights]
        layers.append(entry)
    return layers


def seeded_weights(weights, seed=0):
    """The fixture's weight rule (tools/make_applications_fixtures.py): in get_weights order, He
    normal kernels over their fan-in (a depthwise kernel's is its window), gamma and
    moving_variance uniform in [0.8, 1.2], other vectors uniform in [-0.1, 0.1]."""
    rng = np.random.RandomState(seed)
    arrays = []
    for name, shape in weights:
        base = name.split('/')[-1].split(':')[0]
        if base in ('gamma', 'moving_variance'):
            value = rng.uniform(0.8, 1.2, shape)
        elif len(shape) == 1:
            value = rng.uniform(-0.1, 0.1, shape)
        else:
            fan_in = np.prod(shape[:2]) if base == 'depthwise_kernel' else np.prod(shape[:-1])
            value = rng.normal(0.0, np.sqrt(2.0 / fan_in), shape)
        arrays.append(value.astype('float32'))
    return arrays


@pytest.mark.parametrize('name', sorted(REFERENCE['models']))
def test_model_matches_keras_2_2_5(name, backend, restore_data_format):
    """Layer names, classes, output shapes, weight names and shapes, parameter count; where the
    fixture has outputs, predictions with the same weights."""
    config = REFERENCE['models'][name]
    model = build(config)
    assert model.name == config['model_name']
    assert describe(model) == config['layers']
    assert model.count_params() == config['count_params']
    if name + '/output' not in OUTPUTS:
        return
    x = OUTPUTS[name + '/input']
    weight_file = FIXTURES / f'applications_{name}.h5'
    if weight_file.exists():
        model.load_weights(str(weight_file))
    else:
        model.set_weights(seeded_weights([(w.name, w.shape) for layer in model.layers
                                          for w in layer.weights]))
    features = gkeras.models.Model(model.inputs, model.layers[-2].output)
    for got, key in [(features.predict(x), 'features'), (model.predict(x), 'output')]:
        expected = OUTPUTS[f'{name}/{key}']
        np.testing.assert_allclose(got, expected, rtol=2e-4, atol=2e-5 * np.abs(expected).max())


def test_weights_path_loads_a_keras_2_2_5_file(backend):
    """weights=<path> loads a file Keras 2.2.5's save_weights wrote, by topology (the same
    file test_model_matches_keras_2_2_5 loads with load_weights)."""
    path = FIXTURES / 'applications_mobilenet_top.h5'
    model = applications.MobileNet(alpha=0.25, weights=str(path), input_shape=(32, 32, 3),
                                   classes=10)
    expected = OUTPUTS['mobilenet_top/output']
    np.testing.assert_allclose(model.predict(OUTPUTS['mobilenet_top/input']), expected,
                               rtol=2e-4, atol=2e-5 * np.abs(expected).max())


class _Refused(Exception):
    pass


@pytest.mark.filterwarnings('ignore:`input_shape` is undefined or non-square')
@pytest.mark.filterwarnings('ignore:The output shape of `ResNet50')
@pytest.mark.parametrize('name', sorted(REFERENCE['imagenet']))
def test_imagenet_weights_come_from_keras_urls_and_hashes(name, monkeypatch):
    """weights='imagenet' asks get_file for the file Keras 2.2.5 asks for (name, URL, folder,
    hash); the call is refused here, so nothing is downloaded."""
    case = REFERENCE['imagenet'][name]
    calls = []

    def refuse(fname, origin, **options):
        calls.append(dict(fname=fname, origin=origin, **options))
        raise _Refused()

    monkeypatch.setattr(gkeras.utils, 'get_file', refuse)
    K.clear_session()
    kwargs = dict(case['kwargs'])
    if 'input_shape' in kwargs:
        kwargs['input_shape'] = tuple(kwargs['input_shape'])
    with pytest.raises(_Refused):
        constructor_named(case['constructor'])(weights='imagenet', **kwargs)
    assert calls == case['get_file']


def test_argument_errors():
    with pytest.raises(ValueError, match='`weights` argument should be'):
        applications.VGG16(weights='/no/such/file.h5')
    with pytest.raises(ValueError, match='`classes` should be 1000'):
        applications.ResNet50(weights='imagenet', classes=10)
    with pytest.raises(ValueError, match='at least 32x32'):
        applications.VGG19(weights=None, include_top=False, input_shape=(31, 40, 3))
    with pytest.raises(ValueError, match='at least 75x75'):
        applications.InceptionV3(weights=None, include_top=False, input_shape=(74, 80, 3))
    with pytest.raises(ValueError, match='should be \\(224, 224, 3\\)'):
        applications.VGG16(weights='imagenet', input_shape=(32, 32, 3))
    with pytest.raises(ValueError, match='static `input_shape`'):
        applications.VGG16(weights=None, input_shape=(None, None, 3))
    with pytest.raises(ValueError, match='three integers'):
        applications.MobileNet(weights=None, include_top=False, input_shape=(32, 32))
    with pytest.raises(TypeError):
        applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3), alpha=1)
    with pytest.raises(ValueError, match='must be a multiple of 24'):
        nasnet.NASNet(penultimate_filters=100, include_top=False, input_shape=(32, 32, 3))
    with pytest.raises(ValueError, match='only be loaded with NASNetLarge or NASNetMobile'):
        nasnet.NASNet(penultimate_filters=96, num_blocks=1, weights='imagenet',
                      include_top=False, default_size=64)


def test_input_tensor_is_used_as_the_input():
    inputs = gkeras.layers.Input((40, 40, 3))
    scaled = gkeras.layers.Lambda(lambda t: t * 2.0)(inputs)
    model = applications.VGG16(weights=None, include_top=False, input_tensor=scaled,
                               pooling='avg')
    assert model.inputs == [inputs]
    assert model.output_shape == (None, 512)


# ---------------------------------------------------------------------------------------------
# preprocess_input against NumPy formulas

CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68])
TORCH_MEAN = np.array([0.485, 0.456, 0.406])
TORCH_STD = np.array([0.229, 0.224, 0.225])


def reference_preprocess(x, mode, data_format):
    """Per-pixel formulas, channels_last internally, float32 like the arrays under test."""
    x = np.asarray(x, dtype='float32')
    if data_format == 'channels_first':
        x = np.moveaxis(x, -3, -1)
    out = np.empty_like(x)
    for c in range(3):
        if mode == 'tf':
            out[..., c] = x[..., c] / np.float32(127.5) - np.float32(1)
        elif mode == 'torch':
            out[..., c] = ((x[..., c] / np.float32(255)) - np.float32(TORCH_MEAN[c])) \
                / np.float32(TORCH_STD[c])
        else:
            out[..., c] = x[..., 2 - c] - np.float32(CAFFE_MEAN_BGR[c])
    if data_format == 'channels_first':
        out = np.moveaxis(out, -1, -3)
    return out


@pytest.mark.parametrize('module, mode', [(vgg16, 'caffe'), (vgg19, 'caffe'), (resnet50, 'caffe'),
                                          (resnet, 'caffe'), (resnet_v2, 'tf'),
                                          (inception_v3, 'tf'), (inception_resnet_v2, 'tf'),
                                          (xception, 'tf'), (mobilenet, 'tf'),
                                          (mobilenet_v2, 'tf'), (nasnet, 'tf'),
                                          (densenet, 'torch')])
@pytest.mark.parametrize('data_format', ['channels_last', 'channels_first'])
@pytest.mark.parametrize('batch', [True, False])
def test_preprocess_input(module, mode, data_format, batch, rng):
    shape = (3, 5, 7) if data_format == 'channels_first' else (5, 7, 3)
    shape = (2,) + shape if batch else shape
    pixels = rng.integers(0, 256, shape).astype('float32')
    expected = reference_preprocess(pixels, mode, data_format)
    np.testing.assert_allclose(module.preprocess_input(pixels.copy(), data_format=data_format),
                               expected, rtol=1e-6, atol=1e-5)
    as_uint8 = module.preprocess_input(pixels.astype('uint8'), data_format=data_format)
    assert as_uint8.dtype == np.float32
    np.testing.assert_allclose(as_uint8, expected, rtol=1e-6, atol=1e-5)


def test_preprocess_input_defaults_and_in_place(rng):
    pixels = rng.integers(0, 256, (2, 4, 4, 3)).astype('float32')
    x = pixels.copy()
    imagenet_utils.preprocess_input(x, mode='tf')
    np.testing.assert_allclose(x, pixels / 127.5 - 1, rtol=1e-6)  # written over, as Keras does
    K.set_image_data_format('channels_first')
    try:
        first = vgg16.preprocess_input(np.moveaxis(pixels, -1, 1).copy())
    finally:
        K.set_image_data_format('channels_last')
    np.testing.assert_allclose(first, reference_preprocess(np.moveaxis(pixels, -1, 1), 'caffe',
                                                           'channels_first'), atol=1e-4)
    with pytest.raises(ValueError, match='Unknown data_format'):
        vgg16.preprocess_input(pixels, data_format='channels_middle')
    with pytest.raises(ValueError, match="Received: mode='pytorch'"):
        imagenet_utils.preprocess_input(pixels, mode='pytorch')


@pytest.mark.parametrize('mode', ['caffe', 'tf', 'torch'])
@pytest.mark.parametrize('data_format', ['channels_last', 'channels_first'])
def test_preprocess_input_on_tensors(mode, data_format, backend, rng):
    shape = (2, 3, 4, 5) if data_format == 'channels_first' else (2, 4, 5, 3)
    pixels = rng.integers(0, 256, shape).astype('float32')
    out = imagenet_utils.preprocess_input(K.constant(pixels), data_format=data_format, mode=mode)
    np.testing.assert_allclose(K.eval(out), reference_preprocess(pixels, mode, data_format),
                               rtol=1e-6, atol=1e-4)
    single = imagenet_utils.preprocess_input(K.constant(pixels[0]), data_format=data_format,
                                             mode=mode)
    np.testing.assert_allclose(K.eval(single), reference_preprocess(pixels[0], mode, data_format),
                               rtol=1e-6, atol=1e-4)


# ---------------------------------------------------------------------------------------------
# decode_predictions

@pytest.fixture
def class_index(tmp_path, monkeypatch):
    """A 1000-class index served from a file:// URL, with its md5 as the expected hash."""
    index = {str(i): ['n%08d' % i, 'class_%d' % i] for i in range(1000)}
    source = tmp_path / 'served' / 'imagenet_class_index.json'
    source.parent.mkdir()
    source.write_text(json.dumps(index))
    monkeypatch.setenv('KERAS_HOME', str(tmp_path / 'home'))
    (tmp_path / 'home').mkdir()
    monkeypatch.setattr(imagenet_utils, 'CLASS_INDEX', None)
    monkeypatch.setattr(imagenet_utils, 'CLASS_INDEX_PATH', source.as_uri())
    monkeypatch.setattr(imagenet_utils, 'CLASS_INDEX_HASH',
                        hashlib.md5(source.read_bytes()).hexdigest())
    return tmp_path / 'home' / 'models' / 'imagenet_class_index.json'


def test_decode_predictions(class_index, rng):
    preds = rng.random((2, 1000)).astype('float32')
    decoded = resnet50.decode_predictions(preds, top=3)
    assert class_index.exists()
    for row, result in zip(preds, decoded):
        order = np.argsort(-row)[:3]
        assert result == [('n%08d' % i, 'class_%d' % i, row[i]) for i in order]
    with pytest.raises(ValueError, match=r'Found array with shape: \(2, 10\)'):
        vgg16.decode_predictions(np.zeros((2, 10)))


def test_decode_predictions_offline_error(class_index, monkeypatch):
    missing = class_index.parent.parent.parent / 'nowhere' / 'imagenet_class_index.json'
    monkeypatch.setattr(imagenet_utils, 'CLASS_INDEX_PATH', missing.as_uri())
    with pytest.raises(RuntimeError, match='could not be downloaded from file://.*nowhere'):
        imagenet_utils.decode_predictions(np.zeros((1, 1000)))


# ---------------------------------------------------------------------------------------------
# get_file

@pytest.fixture
def served(tmp_path):
    """A file to download, and its sha256 and md5."""
    source = tmp_path / 'served' / 'data.bin'
    source.parent.mkdir()
    payload = bytes(range(256)) * 300
    source.write_bytes(payload)
    return source, hashlib.sha256(payload).hexdigest(), hashlib.md5(payload).hexdigest()


def test_get_file_downloads_and_caches(served, tmp_path, capsys):
    source, sha256, _ = served
    cache = tmp_path / 'cache'
    path = get_file('data.bin', source.as_uri(), cache_dir=str(cache), file_hash=sha256)
    assert path == str(cache / 'datasets' / 'data.bin')
    assert pathlib.Path(path).read_bytes() == source.read_bytes()
    out = capsys.readouterr().out
    assert f'Downloading data from {source.as_uri()}' in out
    assert '76800/76800 [==============================]' in out  # the progress bar
    source.unlink()  # a valid cached copy is used without downloading
    assert get_file('data.bin', source.as_uri(), cache_dir=str(cache), file_hash=sha256) == path
    assert get_file('data.bin', source.as_uri(), cache_dir=str(cache)) == path
    assert 'Downloading' not in capsys.readouterr().out
    assert sorted(os.listdir(cache / 'datasets')) == ['data.bin']


def test_get_file_redownloads_on_hash_mismatch(served, tmp_path, capsys):
    source, _, md5 = served
    cached = tmp_path / 'cache' / 'models' / 'data.bin'
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b'truncated')
    path = get_file('data.bin', source.as_uri(), cache_dir=str(tmp_path / 'cache'),
                    cache_subdir='models', md5_hash=md5)
    out = capsys.readouterr().out
    assert 'the md5 file hash does not match the original value of ' + md5 in out
    assert 'Downloading data from' in out
    assert pathlib.Path(path).read_bytes() == source.read_bytes()


def test_get_file_refuses_a_corrupted_download(served, tmp_path):
    source, sha256, _ = served
    wrong = '0' * 64
    with pytest.raises(ValueError, match=f'downloaded from {source.as_uri()} .*expected {wrong}'):
        get_file('data.bin', source.as_uri(), cache_dir=str(tmp_path / 'c'), file_hash=wrong)
    assert os.listdir(tmp_path / 'c' / 'datasets') == []
    with pytest.raises(ValueError, match='md5 hash is'):
        get_file('data.bin', source.as_uri(), cache_dir=str(tmp_path / 'c'), file_hash=sha256,
                 hash_algorithm='md5')


def test_get_file_names_the_url_on_failure(tmp_path):
    origin = (tmp_path / 'missing.bin').as_uri()
    with pytest.raises(Exception, match=f'URL fetch failure on {origin}'):
        get_file('missing.bin', origin, cache_dir=str(tmp_path / 'c'))
    assert os.listdir(tmp_path / 'c' / 'datasets') == []


def test_get_file_interrupted_download_leaves_no_file(served, tmp_path, monkeypatch):
    source, _, _ = served
    real_urlopen = urllib.request.urlopen

    class Interrupted:
        def __init__(self, response):
            self.response, self.headers, self.reads = response, response.headers, 0

        def read(self, size):
            self.reads += 1
            if self.reads == 2:
                raise KeyboardInterrupt
            return self.response.read(size)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.response.close()

    monkeypatch.setattr(urllib.request, 'urlopen', lambda url: Interrupted(real_urlopen(url)))
    with pytest.raises(KeyboardInterrupt):
        get_file('data.bin', source.as_uri(), cache_dir=str(tmp_path / 'c'))
    assert os.listdir(tmp_path / 'c' / 'datasets') == []


def _archive(tmp_path, kind):
    members = {'folder/a.txt': b'alpha', 'folder/b.txt': b'beta'}
    path = tmp_path / 'served' / ('archive.tar.gz' if kind == 'tar' else 'archive.zip')
    path.parent.mkdir(exist_ok=True)
    if kind == 'tar':
        with tarfile.open(path, 'w:gz') as archive:
            for name, data in members.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    else:
        with zipfile.ZipFile(path, 'w') as archive:
            for name, data in members.items():
                archive.writestr(name, data)
    return path


@pytest.mark.parametrize('kind', ['tar', 'zip'])
def test_get_file_extracts(kind, tmp_path):
    source = _archive(tmp_path, kind)
    cache = tmp_path / 'cache'
    path = get_file(source.name, source.as_uri(), cache_dir=str(cache), extract=True)
    assert path == str(cache / 'datasets' / source.name)
    assert (cache / 'datasets' / 'folder' / 'a.txt').read_bytes() == b'alpha'
    assert (cache / 'datasets' / 'folder' / 'b.txt').read_bytes() == b'beta'
    other = 'zip' if kind == 'tar' else 'tar'
    get_file('copy_' + source.name, source.as_uri(), cache_dir=str(tmp_path / 'none'),
             extract=True, archive_format=other)
    assert not (tmp_path / 'none' / 'datasets' / 'folder').exists()


def test_get_file_untar(tmp_path):
    source = _archive(tmp_path, 'tar')
    cache = tmp_path / 'cache'
    path = get_file('archive', source.as_uri(), cache_dir=str(cache), untar=True)
    assert path == str(cache / 'datasets' / 'archive')
    assert (cache / 'datasets' / 'archive.tar.gz').exists()
    assert (cache / 'datasets' / 'folder' / 'a.txt').read_bytes() == b'alpha'


def test_get_file_cache_locations(served, tmp_path, monkeypatch):
    source, _, _ = served
    monkeypatch.setenv('KERAS_HOME', str(tmp_path / 'home'))
    (tmp_path / 'home').mkdir()
    assert get_file('data.bin', source.as_uri()) == str(tmp_path / 'home' / 'datasets' / 'data.bin')
    absolute = tmp_path / 'elsewhere'
    assert get_file('data.bin', source.as_uri(), cache_subdir=str(absolute)) == \
        str(absolute / 'data.bin')
    assert get_file(str(tmp_path / 'exact.bin'), source.as_uri()) == str(tmp_path / 'exact.bin')
    monkeypatch.delenv('KERAS_HOME')
    monkeypatch.setenv('HOME', str(tmp_path / 'user'))
    (tmp_path / 'user').mkdir()
    assert get_file('data.bin', source.as_uri()) == \
        str(tmp_path / 'user' / '.keras' / 'datasets' / 'data.bin')
