"""Sequence and the enqueuers that fetch batches ahead of the training loop.

Batches are fetched by threads, never by processes: a process would need the Sequence pickled
(spawn) or a fork of a process that may hold a CUDA context (unsafe), and NumPy releases the GIL
in the heavy work of typical batch preparation. `use_multiprocessing=True` is accepted for Keras
compatibility and runs with threads.

Also get_file, Keras' download-and-cache helper for datasets and pretrained weights.
"""
import concurrent.futures
import hashlib
import os
import queue
import random
import shutil
import threading

from .progbar import Progbar


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
        if self._thread is not None:  # never started: no executor to shut down
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
            return _started(enqueuer, workers, max_queue_size), enqueuer
        return iter_sequence(data, shuffle=shuffle), None
    if workers > 0:
        enqueuer = GeneratorEnqueuer(data, use_multiprocessing=use_multiprocessing)
        return _started(enqueuer, workers, max_queue_size), enqueuer
    return iter(data), None


def _started(enqueuer, workers, max_queue_size):
    """The enqueuer's batches, started when the first one is asked for: nothing is fetched
    before the training loop has called on_train_begin (Keras 2.2's order; a generator that is
    also a callback, as in Keras' image_ocr example, sets itself up there)."""
    enqueuer.start(workers=workers, max_queue_size=max_queue_size)
    yield from enqueuer.get()


# ---------------------------------------------------------------------------------------------
# get_file: downloads into the Keras cache (Keras 2.2.5's keras/utils/data_utils.py semantics)

def _hash_file(fpath, algorithm='sha256', chunk_size=65535):
    hasher = hashlib.sha256() if algorithm == 'sha256' else hashlib.md5()
    with open(fpath, 'rb') as f:
        for chunk in iter(lambda: f.read(chunk_size), b''):
            hasher.update(chunk)
    return hasher.hexdigest()


def _resolve_hash_algorithm(file_hash, algorithm):
    if algorithm == 'sha256' or (algorithm == 'auto' and len(file_hash) == 64):
        return 'sha256'
    return 'md5'


def validate_file(fpath, file_hash, algorithm='auto', chunk_size=65535):
    """Whether the file's sha256 or md5 hex digest equals `file_hash` ('auto': sha256 for a
    64-character hash, else md5)."""
    algorithm = _resolve_hash_algorithm(file_hash, algorithm)
    return _hash_file(fpath, algorithm, chunk_size) == str(file_hash)


def _extract_archive(file_path, path='.', archive_format='auto'):
    """Extract a tar (plain, gz, bz2, xz) or zip archive into `path`; False when `file_path` is
    none of `archive_format` ('auto' = ['tar', 'zip'], a name, a list, or None)."""
    import tarfile  # here, not at import: gkeras.utils is imported by every gkeras program
    import zipfile
    if archive_format is None:
        return False
    if archive_format == 'auto':
        archive_format = ['tar', 'zip']
    if isinstance(archive_format, str):
        archive_format = [archive_format]
    for archive_type in archive_format:
        if archive_type == 'tar':
            open_fn, is_match_fn = tarfile.open, tarfile.is_tarfile
        elif archive_type == 'zip':
            open_fn, is_match_fn = zipfile.ZipFile, zipfile.is_zipfile
        else:
            raise ValueError(f"archive_format must be 'auto', 'tar', 'zip' or None. "
                             f"Received: archive_format={archive_type!r}")
        if not is_match_fn(file_path):
            continue
        with open_fn(file_path) as archive:
            try:
                # The 'data' filter (Python >= 3.11.4) refuses members that would land
                # outside `path` (absolute names, '..', links out of the tree).
                if archive_type == 'tar' and hasattr(tarfile, 'data_filter'):
                    archive.extractall(path, filter='data')
                else:
                    archive.extractall(path)
            except (tarfile.TarError, RuntimeError, KeyboardInterrupt):
                if os.path.isfile(path):
                    os.remove(path)
                elif os.path.exists(path):
                    shutil.rmtree(path)
                raise
        return True
    return False


def _download(origin, fpath, file_hash=None, hash_algorithm='auto', chunk_size=65536):
    """Copy `origin` to `fpath` through a temporary file beside it, checked against `file_hash`
    before it takes the final name: an interrupted, failed or corrupted download never leaves
    a file there (nor replaces one)."""
    import urllib.error  # here: urllib.request pulls in ssl, http and email (14 ms at import)
    import urllib.request
    print('Downloading data from', origin)
    partial = f'{fpath}.{os.getpid()}.part'
    error_msg = 'URL fetch failure on {} : {} -- {}'
    try:
        try:
            with urllib.request.urlopen(origin) as response, open(partial, 'wb') as out:
                length = response.headers.get('Content-Length')
                progbar = Progbar(int(length) if length else None)
                done = 0
                for chunk in iter(lambda: response.read(chunk_size), b''):
                    out.write(chunk)
                    done += len(chunk)
                    progbar.update(done)
                if not length:
                    progbar.update(done, finalize=True)
        except urllib.error.HTTPError as e:
            raise Exception(error_msg.format(origin, e.code, e.msg)) from e
        except urllib.error.URLError as e:
            raise Exception(error_msg.format(origin, e.errno, e.reason)) from e
        if file_hash is not None:
            algorithm = _resolve_hash_algorithm(file_hash, hash_algorithm)
            actual = _hash_file(partial, algorithm)
            if actual != str(file_hash):
                raise ValueError(f'The file downloaded from {origin} is incomplete or corrupted: '
                                 f'its {algorithm} hash is {actual}, expected {file_hash}.')
        os.replace(partial, fpath)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def get_file(fname, origin, untar=False, md5_hash=None, file_hash=None, cache_subdir='datasets',
             hash_algorithm='auto', extract=False, archive_format='auto', cache_dir=None):
    """Download `origin` to the Keras cache unless a valid copy is there; returns its path.

    The file goes to `<cache_dir>/<cache_subdir>/<fname>`: cache_dir defaults to $KERAS_HOME,
    else ~/.keras, is created when missing, and falls back to /tmp/.keras when it cannot be
    written to; an absolute `fname` or `cache_subdir` is used as is. A cached file whose hash
    differs from `file_hash` is downloaded again. Unlike Keras 2.2.5, a fresh download whose hash differs raises ValueError
    (as tf.keras does) instead of being kept, and the download goes to a temporary file renamed
    once complete and checked.

    Args:
        untar: deprecated form of extract for a `<fname>.tar.gz`: returns the extracted path
            `<cache_subdir>/<fname>` and extracts only when it does not exist.
        md5_hash: deprecated form of file_hash with hash_algorithm='md5'.
        file_hash: expected sha256 or md5 hex digest.
        hash_algorithm: 'md5', 'sha256' or 'auto' (sha256 for a 64-character hash, else md5).
        extract: extract the file (tar or zip) into the cache subdirectory.
        archive_format: 'auto' (tar, then zip), 'tar', 'zip' or None.
    """
    if cache_dir is None:
        cache_dir = os.environ.get('KERAS_HOME', os.path.join(os.path.expanduser('~'), '.keras'))
    if md5_hash is not None and file_hash is None:
        file_hash = md5_hash
        hash_algorithm = 'md5'
    datadir_base = os.path.expanduser(cache_dir)
    try:
        # Keras' backend creates ~/.keras at import; gkeras' does not, so create it here rather
        # than fall back to /tmp for want of a folder.
        os.makedirs(datadir_base, exist_ok=True)
    except OSError:
        pass
    if not os.access(datadir_base, os.W_OK):
        datadir_base = os.path.join('/tmp', '.keras')
    datadir = os.path.join(datadir_base, cache_subdir)
    os.makedirs(datadir, exist_ok=True)

    if untar:
        untar_fpath = os.path.join(datadir, fname)
        fpath = untar_fpath + '.tar.gz'
    else:
        fpath = os.path.join(datadir, fname)

    download = not os.path.exists(fpath)
    if not download and file_hash is not None and \
            not validate_file(fpath, file_hash, algorithm=hash_algorithm):
        print('A local file was found, but it seems to be incomplete or outdated because the '
              + hash_algorithm + ' file hash does not match the original value of '
              + file_hash + ' so we will re-download the data.')
        download = True

    if download:
        _download(origin, fpath, file_hash, hash_algorithm)

    if untar:
        if not os.path.exists(untar_fpath):
            _extract_archive(fpath, datadir, archive_format='tar')
        return untar_fpath
    if extract:
        _extract_archive(fpath, datadir, archive_format)
    return fpath
