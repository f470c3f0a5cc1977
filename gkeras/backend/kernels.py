"""The CUDA sources in cuda/, loaded with cupy.RawModule: compiled on first use, then cached per
(file, compile options, device). Importing this module needs no CuPy.

The sources live in the repository's top-level cuda/ folder; gkeras/cuda links to it, so a
checkout finds them there, and the wheel ships them as package data under gkeras/cuda.
"""
import functools
import pathlib

import numpy

_PACKAGE_DIR = pathlib.Path(__file__).resolve().parents[1]
SOURCE_DIRS = (_PACKAGE_DIR / 'cuda',          # installed wheel, or the checkout's link
               _PACKAGE_DIR.parent / 'cuda')   # a checkout whose link was not created
THREADS = 256
_MAX_BLOCKS = 65535  # the kernels loop over their elements, so a capped grid covers any size
_REAL_TYPES = {numpy.dtype('float32'): 'float', numpy.dtype('float64'): 'double'}


def source_path(filename):
    """Where cuda/<filename> is, from a checkout or an installed wheel."""
    for folder in SOURCE_DIRS:
        path = folder / filename
        if path.is_file():
            return path
    raise FileNotFoundError(f"gkeras: the CUDA source {filename!r} is in none of "
                            f"{[str(folder) for folder in SOURCE_DIRS]}; the installation is "
                            "incomplete.")


def real_options(dtype):
    """Compile options that instantiate a GKERAS_REAL source for `dtype` (float32 or float64)."""
    return (f'-DGKERAS_REAL={_REAL_TYPES[numpy.dtype(dtype)]}',)


def supports(dtype):
    return numpy.dtype(dtype) in _REAL_TYPES


@functools.lru_cache(maxsize=None)
def _module(filename, options, device_id):
    import cupy
    with cupy.cuda.Device(device_id):
        return cupy.RawModule(code=source_path(filename).read_text(), options=options)


def function(filename, name, options=()):
    """The kernel `name` of cuda/<filename> compiled with `options` for the current device."""
    import cupy
    return _module(filename, tuple(options), cupy.cuda.Device().id).get_function(name)


def launch(filename, name, dtype, count, args):
    """Run a grid-stride kernel over `count` elements, compiled for element type `dtype`."""
    if count == 0:
        return
    blocks = min((count + THREADS - 1) // THREADS, _MAX_BLOCKS)
    function(filename, name, real_options(dtype))((blocks,), (THREADS,), args)
