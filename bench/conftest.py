"""Benchmark fixtures: the backend to time (GKERAS_BACKEND, default auto) and a synchronizing timer.

This directory is outside pyproject's testpaths, so the normal test run never collects it:
run it with `python3 -m pytest bench -q --benchmark-only`.
"""
import os
import pathlib

import pytest

from gkeras import backend as K


@pytest.fixture(scope='session')
def active_backend():
    """The backend object all benchmarks in this session run on."""
    return K.set_backend(os.environ.get('GKERAS_BACKEND', 'auto').lower() or 'auto')


def pytest_collection_modifyitems(config, items):
    if not config.pluginmanager.hasplugin('benchmark'):
        skip = pytest.mark.skip(reason='the bench suite needs the pytest-benchmark plugin')
        here = pathlib.Path(__file__).parent
        for item in items:
            if here in item.path.parents:
                item.add_marker(skip)


@pytest.fixture
def timed(benchmark, active_backend):
    """timed(fn): one untimed warm-up call, then benchmark fn with the device synchronized
    after each call, so asynchronous GPU work is inside the measurement."""
    def run(fn):
        def step():
            fn()
            active_backend.synchronize()
        step()
        benchmark.extra_info['backend'] = active_backend.describe()
        return benchmark(step)
    return run
