"""The CUDA sources in cuda/ compile (nvcc --ptx, no GPU needed), are found where kernels.py
looks for them, define every kernel the CuPy backend launches, and ship in the wheel."""
import pathlib
import re
import shutil
import subprocess

import pytest

from gkeras.backend import kernels

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / 'cuda').glob('*.cu'))


def _nvcc():
    return shutil.which('nvcc') or next(
        (str(p) for p in (pathlib.Path('/usr/local/cuda/bin/nvcc'),) if p.exists()), None)


def _real_typed(source):
    return '#ifndef GKERAS_REAL' in source.read_text()


@pytest.mark.parametrize('source', SOURCES, ids=lambda p: p.name)
def test_cuda_source_compiles_to_ptx(source, tmp_path):
    nvcc = _nvcc()
    if nvcc is None:
        pytest.skip('nvcc is not installed on this machine')
    variants = (['-DGKERAS_REAL=float', '-DGKERAS_REAL=double'] if _real_typed(source)
                else [None])
    for define in variants:
        ptx = tmp_path / f'{source.stem}.ptx'
        command = [nvcc, '--ptx', '-std=c++14', '-o', str(ptx), str(source)]
        if define:
            command.insert(2, define)
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f'{" ".join(command)}\n{result.stderr}'
        assert '.entry' in ptx.read_text(), f'{source.name} ({define}) defines no kernel'


def test_at_least_the_spatial_sources_exist():
    assert {'im2col.cu', 'pooling.cu'} <= {p.name for p in SOURCES}


@pytest.mark.parametrize('source', SOURCES, ids=lambda p: p.name)
def test_kernels_module_finds_every_source(source):
    assert kernels.source_path(source.name).read_text() == source.read_text()


def test_missing_source_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match='no_such_kernel.cu'):
        kernels.source_path('no_such_kernel.cu')


def test_every_launched_kernel_is_defined():
    backend_code = (ROOT / 'gkeras' / 'backend' / 'cupy_backend.py').read_text()
    launched = re.findall(r"kernels\.launch\('([\w.]+)', '(\w+)'", backend_code)
    assert launched, 'the CuPy backend launches no kernel'
    for filename, name in launched:
        source = kernels.source_path(filename).read_text()
        assert re.search(rf'extern "C" __global__ void {name}\(', source), (filename, name)


def test_real_options_cover_float32_and_float64():
    assert kernels.real_options('float32') == ('-DGKERAS_REAL=float',)
    assert kernels.real_options('float64') == ('-DGKERAS_REAL=double',)
    assert kernels.supports('float32') and not kernels.supports('float16')


def test_the_wheel_ships_the_cuda_sources():
    # gkeras/cuda links to the top-level cuda/ folder, and package data takes cuda/*.cu from it
    tomllib = pytest.importorskip('tomllib')
    config = tomllib.loads((ROOT / 'pyproject.toml').read_text())
    assert 'cuda/*.cu' in config['tool']['setuptools']['package-data']['gkeras']
    linked = ROOT / 'gkeras' / 'cuda'
    assert linked.is_dir() and linked.resolve() == (ROOT / 'cuda').resolve()
