"""Sequence and the enqueuers that fetch batches ahead of the training loop.

Batches are fetched by threads, never by processes: a process would need the Sequence pickled
(spawn) or a fork of a process that may hold a CUDA context (unsafe), and NumPy releases the GIL
in the heavy work of typical batch preparation. `use_multiprocessing=True` is accepted for Keras
compatibility and runs with threads.
"""
import concurrent.futures
import queue
import random
import threading


class Sequence:
    """Base class for batch sources: implement __getitem__(index) -> batch and __len__().

    Every batch is fetched exactly once per epoch, even with several workers; on_epoch_end is
    called after each full pass (override it to reshuffle).
    """
    use_sequence_api = True

    def __getitem__(self, index):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError

    def on_epoch_end(self):
        """Called at the end of every epoch; override to reshuffle."""

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]


def is_sequence(data):
    """Whether `data` follows the Sequence API (a Sequence, or an object with __getitem__,
    __len__ and on_epoch_end)."""
    if isinstance(data, Sequence) or getattr(data, 'use_sequence_api', False):
        return True
    return all(hasattr(data, name) for name in ('__getitem__', '__len__', 'on_epoch_end'))


def is_generator(data):
    """Whether `data` is an iterator (a Python generator or an object with __next__)."""
    return hasattr(data, '__next__') and hasattr(data, '__iter__')


class _Failure:
    """An exception raised in a producer thread, handed to the consumer to re-raise."""

    def __init__(self, error):
        self.error = error


_END = object()


class SequenceEnqueuer:
    """Base: a bounded queue filled by a producer thread; `get()` yields its items in order."""

    def __init__(self, source):
        self.source = source
        self.queue = None
        self._stop = threading.Event()
        self._thread = None

    def is_running(self):
        return self._thread is not None and not self._stop.is_set()

    def start(self, workers=1, max_queue_size=10):
        self.workers = max(1, int(workers))
        self.queue = queue.Queue(max(1, int(max_queue_size)))
        self._stop.clear()
        self._prepare()
        self._thread = threading.Thread(target=self._produce_safely, daemon=True)
        self._thread.start()

    def _prepare(self):
        pass

    def _put(self, item):
        """Put into the bounded queue, giving up when stopped; False once stopped."""
        while not self._stop.is_set():
            try:
                self.queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _produce_safely(self):
        try:
            self._produce()
        except BaseException as error:  # handed over to the consumer, which re-raises it
            self._put(_Failure(error))

    def _take(self):
        while True:
            try:
                item = self.queue.get(timeout=0.05)
            except queue.Empty:
                if self._stop.is_set():
                    raise RuntimeError('The enqueuer was stopped while batches were expected.')
                continue
            if isinstance(item, _Failure):
                raise item.error
            return item

    def stop(self, timeout=None):
        """Stop the producer and wait for it (call from the thread that called start)."""
        self._stop.set()
        if self.queue is not None:
            while True:
                try:
                    item = self.queue.get_nowait()
                except queue.Empty:
                    break
                if isinstance(item, concurrent.futures.Future):
                    item.cancel()
        self._release()
        if self._thread is not None:
            self._thread.join(timeout)
        self._shutdown()

    def _release(self):
        pass

    def _shutdown(self):
        pass


class OrderedEnqueuer(SequenceEnqueuer):
    """Fetches the batches of a Sequence with `workers` threads, yielding them in order (or in a
    fresh random order each pass with shuffle=True), pass after pass.

    The consumer calls the Sequence's on_epoch_end after it has taken the last batch of a pass
    and before the producer starts the next pass, so a reshuffle in on_epoch_end is seen by the
    next pass and no batch is fetched twice or skipped within a pass.
    """

    def __init__(self, sequence, use_multiprocessing=False, shuffle=False):
        super().__init__(sequence)
        self.use_multiprocessing = use_multiprocessing
        self.shuffle = shuffle
        self._pass_done = threading.Event()

    def _prepare(self):
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=self.workers, thread_name_prefix='gkeras-sequence')

    def _produce(self):
        while not self._stop.is_set():
            indices = list(range(len(self.source)))
            if not indices:
                raise ValueError(f"The Sequence {self.source!r} has no batches (len() == 0).")
            if self.shuffle:
                random.shuffle(indices)
            self._pass_done.clear()
            for position, index in enumerate(indices):
                future = self._executor.submit(self.source.__getitem__, index)
                future.last_of_pass = position == len(indices) - 1
                if not self._put(future):
                    future.cancel()
                    return
            while not self._pass_done.wait(0.05):
                if self._stop.is_set():
                    return

    def get(self):
        """Yield batches forever (until stopped); re-raises errors from __getitem__."""
        while True:
            future = self._take()
            batch = future.result()
            if future.last_of_pass:
                self.source.on_epoch_end()
                self._pass_done.set()
            yield batch

    def _release(self):
        self._pass_done.set()

    def _shutdown(self):
        self._executor.shutdown(wait=True, cancel_futures=True)


class GeneratorEnqueuer(SequenceEnqueuer):
    """Pulls items from a generator with one background thread, ahead of the training loop.

    A generator cannot be advanced by several threads at once, so `workers` above 1 adds no
    threads here (use a Sequence for parallel batch preparation). A finite generator that runs
    out ends `get()` with StopIteration. `wait_time` and `random_seed` are accepted for Keras 2.2
    compatibility: they served process workers, which gkeras does not start.
    """

    def __init__(self, generator, use_multiprocessing=False, wait_time=None, random_seed=None):
        super().__init__(generator)
        self.use_multiprocessing = use_multiprocessing

    def _produce(self):
        for item in self.source:
            if not self._put(item):
                return
        self._put(_END)

    def get(self):
        while True:
            item = self._take()
            if item is _END:
                return
            yield item


def iter_sequence(sequence, shuffle=False):
    """Batches of a Sequence in this thread, pass after pass, calling on_epoch_end after each."""
    while True:
        indices = list(range(len(sequence)))
        if not indices:
            raise ValueError(f"The Sequence {sequence!r} has no batches (len() == 0).")
        if shuffle:
            random.shuffle(indices)
        for position, index in enumerate(indices):
            batch = sequence[index]
            if position == len(indices) - 1:
                sequence.on_epoch_end()
            yield batch


def batch_stream(data, workers=1, max_queue_size=10, use_multiprocessing=False, shuffle=False):
    """(iterator over batches, enqueuer or None) for a Sequence or a generator.

    workers=0 reads in the calling thread; otherwise an enqueuer fetches ahead in threads and the
    caller must stop() it.
    """
    if is_sequence(data):
        if workers > 0:
            enqueuer = OrderedEnqueuer(data, use_multiprocessing=use_multiprocessing,
                                       shuffle=shuffle)
            enqueuer.start(workers=workers, max_queue_size=max_queue_size)
            return enqueuer.get(), enqueuer
        return iter_sequence(data, shuffle=shuffle), None
    if workers > 0:
        enqueuer = GeneratorEnqueuer(data, use_multiprocessing=use_multiprocessing)
        enqueuer.start(workers=workers, max_queue_size=max_queue_size)
        return enqueuer.get(), enqueuer
    return iter(data), None
