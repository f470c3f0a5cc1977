"""The NumPy backend keeps freed memory, so repeated large temporaries do not fault again."""
import os
import subprocess
import sys

import pytest

from gkeras.backend import host_memory

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# three 20 MB arrays alive at once, freed, eight times over: minor page faults after warm-up
PROGRAM = '''
import resource, numpy as np
from gkeras.backend import selection
selection.set_backend('numpy')
def step():
    arrays = [np.ones(5_000_000, np.float32) for _ in range(3)]
    del arrays
for _ in range(2):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(8):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
'''


def page_faults(**env):
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith('MALLOC_') and k != 'GKERAS_KEEP_FREED_MEMORY'}
    environment.update(env, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    done = subprocess.run([sys.executable, '-c', PROGRAM], env=environment, check=True,
                          capture_output=True, text=True)
    return int(done.stdout.strip())


@pytest.mark.skipif(host_memory._glibc() is None, reason='glibc only')
def test_repeated_large_temporaries_fault_in_only_once():
    returned = page_faults(GKERAS_KEEP_FREED_MEMORY='0')
    if returned == 0:
        pytest.skip("this machine's malloc keeps such memory by itself: nothing to compare")
    assert page_faults() * 4 < returned


@pytest.mark.skipif(host_memory._glibc() is None, reason='glibc only')
@pytest.mark.parametrize('env, changed', [({}, True),
                                          ({'MALLOC_TRIM_THRESHOLD_': '0'}, False),
                                          ({'MALLOC_MMAP_THRESHOLD_': '65536'}, False),
                                          ({'GKERAS_KEEP_FREED_MEMORY': '0'}, False)])
def test_the_users_own_malloc_settings_are_left_alone(env, changed):
    code = 'from gkeras.backend import host_memory; print(host_memory.keep_freed_memory())'
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith('MALLOC_') and k != 'GKERAS_KEEP_FREED_MEMORY'}
    environment.update(env, PYTHONPATH=ROOT + os.pathsep + os.environ.get('PYTHONPATH', ''))
    done = subprocess.run([sys.executable, '-c', code], env=environment, check=True,
                          capture_output=True, text=True)
    assert done.stdout.strip() == str(changed)
