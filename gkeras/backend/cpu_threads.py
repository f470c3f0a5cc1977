"""Spreading the independent blocks of a CPU kernel over the cores.

NumPy runs each array operation on one core, and BLAS parallelizes each matrix product on its
own, which for the many cache-sized products of a blocked convolution costs more in handing
work to its threads than it gains. The kernels here instead give whole blocks (copy the
receptive fields, multiply, add the bias) to a pool of threads, each calling BLAS
single-threaded: NumPy and BLAS release the GIL while they work, so the threads run at once.

As many threads as BLAS itself would use (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS or MKL's
setting, else the cores this process may run on), so the usual variables bound gkeras too. BLAS
is found and limited through threadpoolctl; where it cannot be (an unknown BLAS), kernels run on
one thread. Blocks go to threads in a fixed order and partial sums are added in thread order,
so results do not change from run to run. During a whole train, test or predict step (region)
BLAS stays single-threaded, since its idle threads spin for a while after each product and
would compete with the pool's for the cores.
"""
import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

_lock = threading.Lock()
_state = {}
_inside = threading.local()


def _blas_controller():
    """threadpoolctl's handle on the BLAS libraries NumPy loaded, or None if it finds none."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - a required dependency; absent only if removed
        return None
    controller = ThreadpoolController().select(user_api='blas')
    return controller if controller.lib_controllers else None


def _cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _setup(threads=None, reset=False):
    """The pool state, made on first use or when reset (threads=None: as many as BLAS)."""
    with _lock:
        if not _state or reset:
            controller = _state.get('controller') if _state else _blas_controller()
            if threads is None:
                threads = 1
                if controller is not None:
                    blas_threads = min(lib.num_threads for lib in controller.lib_controllers)
                    threads = max(1, min(blas_threads, _cores()))
            elif controller is None:
                threads = 1
            if _state.get('pool') is not None:
                _state['pool'].shutdown()
            _state['controller'] = controller
            _state['threads'] = threads
            _state['pool'] = (ThreadPoolExecutor(threads - 1, thread_name_prefix='gkeras')
                              if threads > 1 else None)
    return _state


def thread_count():
    """How many threads the CPU kernels use (1: they run in the calling thread)."""
    return _setup()['threads']


def set_thread_count(threads=None):
    """Use this many threads from now on (None: as many as BLAS, the default). Stays 1 where
    BLAS cannot be limited. Not while a kernel runs in another thread."""
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise ValueError(f"set_thread_count: expected a positive integer or None; received "
                         f"{threads!r}.")
    return _setup(threads, reset=True)['threads']


def split(length, most):
    """Slices of range(length), each at most `most` long, as few as that allows but a multiple
    of the thread count (so every thread gets as many), of near-equal sizes."""
    if length <= 0:
        return []
    threads = thread_count()
    parts = -(-length // max(1, most))
    parts = min(length, -(-parts // threads) * threads)
    size, extra = divmod(length, parts)
    bounds = [i * size + min(i, extra) for i in range(parts + 1)]
    return [slice(a, b) for a, b in zip(bounds, bounds[1:])]


def run(items, work):
    """Call work(share) once per thread and return the results in thread order.

    `share` is a list of the items for that thread: item i goes to thread i % threads, and
    thread 0 is the calling thread. BLAS is single-threaded meanwhile. With one thread, or when
    called from inside another run(), work(items) runs here.
    """
    state = _setup()
    threads = min(state['threads'], len(items))
    if threads <= 1 or getattr(_inside, 'active', False):
        return [work(items)]
    shares = [items[i::threads] for i in range(threads)]
    with _single_threaded_blas(state):
        futures = [state['pool'].submit(_worker, work, share) for share in shares[1:]]
        try:
            first = _worker(work, shares[0])
        finally:
            # never leave while another thread still works on shared buffers
            rest = [future.exception() for future in futures]
        for error in rest:
            if error is not None:
                raise error
        return [first] + [future.result() for future in futures]


def region():
    """A context in which gkeras does its work (a train, test or predict step): BLAS stays
    single-threaded throughout, so that its own threads, which spin for a while after each
    product, never compete with the pool's; every split is the pool's. Nothing to do on one
    thread."""
    state = _setup()
    if state['threads'] <= 1:
        return contextlib.nullcontext()
    return _single_threaded_blas(state)


class _single_threaded_blas:
    """BLAS limited to one thread while any run() or region() is under way (in any calling
    thread): the first to enter sets the limit, the last to leave lifts it."""
    _users = 0
    _limiter = None

    def __init__(self, state):
        self.controller = state['controller']

    def __enter__(self):
        with _lock:
            if _single_threaded_blas._users == 0:
                with _any_thread_controls_blas():
                    _single_threaded_blas._limiter = self.controller.limit(limits=1)
            _single_threaded_blas._users += 1

    def __exit__(self, *exc):
        with _lock:
            _single_threaded_blas._users -= 1
            if _single_threaded_blas._users == 0:
                with _any_thread_controls_blas():
                    _single_threaded_blas._limiter.restore_original_limits()
                _single_threaded_blas._limiter = None


@contextlib.contextmanager
def _any_thread_controls_blas():
    """Let this thread's limit take effect, and leave no thread holding the control.

    threadpoolctl lets only one Python thread (the first to set a limit, until it leaves a
    `with` block) change a process-wide OpenBLAS pool's size and silently ignores the others;
    gkeras sets and lifts its limit from whichever thread enters first and leaves last (under
    _lock), so it frees that control before and after each change.
    """
    _clear_controlling_thread()
    try:
        yield
    finally:
        _clear_controlling_thread()


def _clear_controlling_thread():
    from threadpoolctl import OpenBLASController  # present: the limit was set through it
    clear = getattr(OpenBLASController, 'clear_controlling_thread', None)
    if clear is not None:  # None: a threadpoolctl without that rule
        clear(force=True)


def _forget_after_fork():
    """In a child made by fork, the parent's pool threads do not exist: start afresh there."""
    global _lock
    _lock = threading.Lock()
    _state.clear()
    _single_threaded_blas._users = 0
    _single_threaded_blas._limiter = None


if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=_forget_after_fork)


def _worker(work, share):
    _inside.active = True
    try:
        return work(share)
    finally:
        _inside.active = False
