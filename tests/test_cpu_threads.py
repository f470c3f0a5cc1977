"""The CPU thread pool and the kernels it runs: the same numbers on 1 and several threads."""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from gkeras.backend import autodiff as ad
from gkeras.backend import cpu_threads, spatial
from gkeras.backend.numpy_backend import NumpyBackend

import spatial_reference as ref
from gradcheck import check_gradients

threadpoolctl = pytest.importorskip('threadpoolctl')


@pytest.fixture(autouse=True)
def on_numpy(numpy_backend):
    """These kernels are the NumPy backend's, whichever backend a machine picks by default."""


def blas_threads():
    info = threadpoolctl.threadpool_info()
    return [lib['num_threads'] for lib in info if lib['user_api'] == 'blas']


def forced_threads(count):
    """`count` threads for a test, the default after it; skips where BLAS cannot be limited."""
    if cpu_threads.set_thread_count(count) != count:
        pytest.skip('BLAS cannot be limited here, so the kernels run on one thread')
    yield count
    cpu_threads.set_thread_count(None)


@pytest.fixture
def threads():
    """Three threads (more than this machine may have)."""
    yield from forced_threads(3)


def test_run_gives_item_i_to_thread_i_mod_n_and_returns_results_in_thread_order(threads):
    names = {}

    def work(share):
        names[share[0]] = threading.current_thread().name
        return list(share)
    results = cpu_threads.run(list(range(8)), work)
    assert results == [[0, 3, 6], [1, 4, 7], [2, 5]]
    # the caller works on share 0, the pool's threads (one may take both) on the others
    assert names[0] == threading.current_thread().name
    assert names[1].startswith('gkeras') and names[2].startswith('gkeras')


def test_blas_is_single_threaded_inside_run_and_restored_after(threads):
    before = blas_threads()
    inside = cpu_threads.run([0, 1, 2], lambda share: blas_threads())
    assert inside == [[1] * len(before)] * 3
    assert blas_threads() == before


def test_an_error_in_a_thread_reaches_the_caller_after_every_thread_stopped(threads):
    before = blas_threads()
    finished = []

    def work(share):
        if share == [1]:
            raise ZeroDivisionError('in thread 1')
        finished.append(share)
        return share
    with pytest.raises(ZeroDivisionError, match='in thread 1'):
        cpu_threads.run([0, 1, 2], work)
    assert sorted(finished) == [[0], [2]]
    assert blas_threads() == before


def test_run_inside_run_works_in_the_calling_thread(threads):
    def inner(share):
        return cpu_threads.run([10, 11, 12], lambda inner_share: list(inner_share))
    assert cpu_threads.run([0, 1, 2], inner) == [[[10, 11, 12]]] * 3


def test_one_thread_runs_everything_in_the_caller():
    cpu_threads.set_thread_count(1)
    try:
        assert cpu_threads.thread_count() == 1
        assert cpu_threads.run([1, 2, 3], lambda share: (threading.current_thread().name,
                                                         list(share))) == [
            (threading.current_thread().name, [1, 2, 3])]
    finally:
        cpu_threads.set_thread_count(None)


def test_set_thread_count_none_goes_back_to_the_default():
    default = cpu_threads.thread_count()
    try:
        cpu_threads.set_thread_count(default + 2)
        assert cpu_threads.set_thread_count(None) == default
        assert cpu_threads.thread_count() == default
    finally:
        cpu_threads.set_thread_count(None)


@pytest.mark.parametrize('bad', [0, -1, 2.0, 'two'])
def test_set_thread_count_refuses_what_is_not_a_positive_integer(bad):
    with pytest.raises(ValueError, match='positive integer'):
        cpu_threads.set_thread_count(bad)


def test_the_default_follows_the_blas_thread_variables():
    code = ('import numpy; from gkeras.backend import cpu_threads; '
            'print(cpu_threads.thread_count())')
    env = dict(os.environ, OPENBLAS_NUM_THREADS='1', OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env['PYTHONPATH'] = root + os.pathsep + env.get('PYTHONPATH', '')
    done = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == '1'


@pytest.mark.parametrize('length, most', [(10, 3), (12, 5), (7, 100), (2, 1), (1, 1), (0, 4)])
def test_split_covers_the_range_in_even_parts_a_multiple_of_the_threads(threads, length, most):
    parts = cpu_threads.split(length, most)
    assert [i for part in parts for i in range(length)[part]] == list(range(length))
    sizes = [part.stop - part.start for part in parts]
    assert all(0 < size <= most for size in sizes)
    assert max(sizes, default=0) - min(sizes, default=0) <= 1
    if length >= threads:
        assert len(parts) % threads == 0


# ---------------------------------------------------------------------------------------------
# the kernels on several threads against plain NumPy

@pytest.mark.parametrize('shape', [(40, 7, 30), (7, 40, 30), (33, 5, 33)])
@pytest.mark.parametrize('with_out', [False, True])
def test_gemm_split_over_threads_equals_one_product(threads, monkeypatch, rng, shape, with_out):
    monkeypatch.setattr(NumpyBackend, 'parallel_gemm_min', 1)
    m, k, n = shape
    a = rng.standard_normal((k, m)).T  # a transposed view, as the dense layers' backward uses
    b = rng.standard_normal((k, n))
    out = np.full((m, n), np.nan) if with_out else None
    got = NumpyBackend().gemm(a, b, out=out)
    np.testing.assert_allclose(got, a @ b, rtol=1e-12)
    if with_out:
        assert got is out


def test_relu_grad_selects_bit_for_bit_across_chunks(threads, rng, monkeypatch):
    monkeypatch.setattr(NumpyBackend, 'elementwise_part', 1000)
    y = np.maximum(rng.standard_normal((3, 50_001)), 0).astype(np.float32)
    dy = rng.standard_normal(y.shape).astype(np.float32)
    dy[0, :5] = [np.inf, -np.inf, np.nan, np.inf, 1.0]
    y[0, :5] = [0.0, 0.0, 0.0, 1.0, 2.0]
    got = NumpyBackend().relu_grad(dy, y)
    expected = np.where(y > 0, dy, np.float32(0))
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.float32


@pytest.mark.parametrize('data_format', ['channels_last', 'channels_first'])
def test_fused_relu_convolution_on_threads(threads, monkeypatch, rng, data_format):
    monkeypatch.setattr(NumpyBackend, 'block_bytes', 800)  # many blocks for the threads
    first = data_format == 'channels_first'
    x = rng.standard_normal((3, 7, 6, 4)).astype(np.float32)
    x = np.moveaxis(x, -1, 1).copy() if first else x
    w = rng.standard_normal((3, 3, 4, 5)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    y = spatial.convolution(x, w, 1, 'same', data_format, bias=b, relu=True)
    expected = ref.conv(x, w, (1, 1), 'same', (1, 1), first)
    expected = np.maximum(expected + b.reshape((5, 1, 1) if first else (5,)), 0)
    np.testing.assert_allclose(y.data, expected, rtol=1e-4, atol=1e-5)
    check_gradients(lambda a, k, c: spatial.convolution(a, k, 1, 'same', data_format, bias=c,
                                                        relu=True),
                    np.asarray(x, np.float64), rng.standard_normal(w.shape),
                    rng.standard_normal(5))


def test_conv_weight_gradient_is_the_same_on_one_and_three_threads(monkeypatch, rng):
    monkeypatch.setattr(NumpyBackend, 'block_bytes', 800)
    x = ad.Variable(rng.standard_normal((4, 9, 8, 3)).astype(np.float32))
    w = ad.Variable(rng.standard_normal((3, 3, 3, 6)).astype(np.float32))
    b = ad.Variable(np.zeros(6, np.float32))

    def grads():
        y = spatial.convolution(x, w, 1, 'valid', 'channels_last', bias=b, relu=True)
        return ad.gradients(ad.reduce_sum(y * y), [x, w, b])
    cpu_threads.set_thread_count(1)
    try:
        one = grads()
        if cpu_threads.set_thread_count(3) != 3:
            pytest.skip('BLAS cannot be limited here')
        three = grads()
    finally:
        cpu_threads.set_thread_count(None)
    for a, c in zip(one, three):
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('mode', ['max', 'avg'])
@pytest.mark.parametrize('pool_size, strides, padding', [((2, 2), None, 'valid'),
                                                         ((3, 3), (2, 2), 'same')])
def test_pooling_in_parts_on_threads(threads, monkeypatch, rng, mode, pool_size, strides,
                                     padding):
    monkeypatch.setattr(NumpyBackend, 'pool_part_bytes', 1)  # one image per part
    x = rng.standard_normal((5, 7, 6, 3))
    y = spatial.pooling(x, pool_size, strides, padding, 'channels_last', mode)
    expected = ref.pool(x, pool_size, strides or pool_size, padding, mode, False)
    np.testing.assert_allclose(y.data, expected, rtol=1e-12)
    check_gradients(lambda a: spatial.pooling(a, pool_size, strides, padding, 'channels_last',
                                              mode), x)


def test_a_model_step_keeps_blas_single_threaded_and_restores_it(threads):
    from gkeras import layers
    from gkeras.models import Sequential
    seen = []

    def record(x):
        seen.append(blas_threads())
        return x
    model = Sequential([layers.Lambda(record, input_shape=(3,)), layers.Dense(2)])
    model.compile('sgd', 'mse')
    seen.clear()  # what building the model ran (shape inference), outside any step
    before = blas_threads()
    x, y = np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32)
    model.predict(x)
    model.train_on_batch(x, y)
    model.evaluate(x, y, verbose=0)
    assert seen and all(inside == [1] * len(before) for inside in seen)
    assert blas_threads() == before


@pytest.fixture
def two_threads():
    yield from forced_threads(2)


@pytest.mark.skipif(not hasattr(os, 'fork'), reason='fork only')
# forking a process that has threads is what this test is about (Python 3.12+ warns of it)
@pytest.mark.filterwarnings('ignore:This process .* is multi-threaded:DeprecationWarning')
def test_a_forked_child_runs_the_kernels_on_threads_of_its_own(two_threads, monkeypatch):
    # the parent's pool threads do not exist in a forked child: a child that handed work to
    # them waited forever (with the pool's one worker started, its executor made no other)
    import multiprocessing
    monkeypatch.setattr(NumpyBackend, 'block_bytes', 200)  # several blocks for the threads
    cpu_threads.run([0, 1], lambda share: share)  # the parent's worker thread is started
    context = multiprocessing.get_context('fork')
    queue = context.Queue()

    def child():
        x = np.arange(8 * 6 * 6 * 4, dtype=np.float32).reshape(8, 6, 6, 4) / 100
        w = np.ones((3, 3, 4, 2), np.float32)
        y = spatial.convolution(x, w, 1, 'valid', 'channels_last')
        queue.put((cpu_threads.thread_count(), float(y.data.sum())))
    process = context.Process(target=child)
    process.start()
    process.join(timeout=20)
    if process.is_alive():
        process.kill()
        pytest.fail('the forked child hung on the parent pool')
    assert process.exitcode == 0
    count, total = queue.get(timeout=5)
    x = np.arange(8 * 6 * 6 * 4, dtype=np.float32).reshape(8, 6, 6, 4) / 100
    expected = ref.conv(x, np.ones((3, 3, 4, 2), np.float32), (1, 1), 'valid', (1, 1)).sum()
    assert count >= 1
    np.testing.assert_allclose(total, expected, rtol=1e-5)


def test_two_callers_share_the_pool_and_get_their_own_results(threads, monkeypatch, rng):
    # a server predicting from two Python threads at once: same answers as one at a time, and
    # BLAS single-threaded in every step, whichever thread runs it
    from concurrent.futures import ThreadPoolExecutor
    from gkeras import layers
    from gkeras.models import Sequential
    monkeypatch.setattr(NumpyBackend, 'block_bytes', 4000)  # many blocks per convolution
    seen = []

    def record(x):
        seen.append(blas_threads())
        return x
    model = Sequential([layers.Conv2D(6, 3, activation='relu', input_shape=(9, 9, 3)),
                        layers.MaxPooling2D(), layers.Flatten(), layers.Lambda(record),
                        layers.Dense(4)])
    inputs = [rng.standard_normal((16, 9, 9, 3)).astype(np.float32) for _ in range(6)]
    before = blas_threads()
    alone = [model.predict(x, batch_size=8) for x in inputs]
    seen.clear()
    with ThreadPoolExecutor(2) as callers:
        together = list(callers.map(lambda x: model.predict(x, batch_size=8), inputs))
    for a, b in zip(alone, together):
        np.testing.assert_array_equal(a, b)
    assert seen and all(inside == [1] * len(before) for inside in seen)
    assert blas_threads() == before  # the last caller out put BLAS's threads back


def test_the_blas_limit_holds_and_lifts_whichever_threads_enter_and_leave(threads):
    # threadpoolctl lets one thread at a time change OpenBLAS's pool: the thread that entered a
    # step first must not keep that right, or other threads' limits and restores do nothing
    before = blas_threads()
    with cpu_threads.region():
        pass
    seen = []

    def other():
        with cpu_threads.region():
            seen.append(blas_threads())
    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen == [[1] * len(before)]
    entered, release = threading.Event(), threading.Event()

    def late():
        with cpu_threads.region():
            entered.set()
            release.wait()
    region = cpu_threads.region()
    region.__enter__()
    thread = threading.Thread(target=late)
    thread.start()
    entered.wait()
    region.__exit__(None, None, None)
    assert blas_threads() == [1] * len(before)  # the other thread is still inside
    release.set()
    thread.join()
    assert blas_threads() == before


def test_large_dropout_masks_do_not_depend_on_the_thread_count(rng, monkeypatch):
    from gkeras import backend as K
    monkeypatch.setattr(NumpyBackend, 'dropout_chunk', 1000)  # 30 chunks
    x = np.full((120, 250), 2.0, np.float32)
    masks = []
    for threads in (1, 3):
        cpu_threads.set_thread_count(threads)
        try:
            masks.append(K.dropout(x, 0.3, seed=4).data)
        finally:
            cpu_threads.set_thread_count(None)
    np.testing.assert_array_equal(masks[0], masks[1])
    kept = masks[0] != 0
    np.testing.assert_allclose(masks[0][kept], 2.0 / 0.7, rtol=1e-6)
    assert abs(kept.mean() - 0.7) < 5 * np.sqrt(0.7 * 0.3 / kept.size)
    # chunk by chunk the draws differ (each its own generator), and a new seed changes them
    chunks = kept.reshape(-1)[:30000].reshape(30, 1000)
    assert len({row.tobytes() for row in chunks}) == 30
    assert not np.array_equal(masks[0], K.dropout(x, 0.3, seed=5).data)
    # float16 is drawn in float32 and cast; the gradient goes through the same mask
    assert K.dropout(np.ones(5000, np.float16), 0.5, seed=1).dtype == np.float16
    v = K.variable(np.arange(1.0, 3001.0))
    out = K.dropout(v, 0.4, seed=11)
    (g,) = K.gradients(K.sum(out), [v])
    np.testing.assert_allclose(g, (out.data != 0) / 0.6, rtol=1e-6)
