"""Time gkeras beside PyTorch and tf.keras on the benchmark models of BENCH.md; print ms and ratios.

    python3 bench/compare.py --backend numpy [--models mlp_b128,...] [--steps 50] [--warmup 5]
        [--repeat N] [--threads N] [--peers torch,tf] [--torch-python PATH] [--tf-python PATH]
        [--json FILE]
    python3 bench/compare.py --backend cupy --kernels
    python3 bench/compare.py --backend numpy --kernels [--shapes cifar_conv2_n128_c32_32,...]

Every (model, framework) pair runs in a fresh subprocess of this script (`--worker`), under the
interpreter chosen for that framework, so one framework's threads, caches and memory do not touch
another's timings or peak memory. A train step is one train_on_batch (forward, loss, backward,
optimizer update), or its eager PyTorch equivalent; the device is synchronized before every
clock read and the median of --steps steps after --warmup steps is reported. Predict is the
outputs of one batch, returned to the host.

Memory: on the CPU, the peak resident set size (VmHWM) of the worker process while it runs the
train steps, and the growth of the resident set over the steps (peak minus the resident set
before the first timed step: what the step itself holds at its peak). On the GPU, the peak bytes
allocated during a train step: torch.cuda.max_memory_allocated for PyTorch; for gkeras, a
counting allocator over CuPy's memory pool, installed for a separate pass after the timed steps.

The parent imports NumPy only (through models.py); the frameworks are imported by the workers.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import models

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
FRAMEWORKS = ('gkeras', 'torch', 'tf')
MARKER = 'BENCH-RESULT '
WORKER_TIMEOUT_S = 1800
CONV_SHAPES = {
    # name: (N, H, W, C, K, padding); BENCH.md's GPU shape, then the convolutions of the two
    # CNN benchmark models (mnist_cnn_b128, cifar_cnn_b128)
    'bench_conv_n64_c64_56': (64, 56, 56, 64, 64, 'same'),
    'mnist_conv1_n128_c1_28': (128, 28, 28, 1, 32, 'valid'),
    'mnist_conv2_n128_c32_26': (128, 26, 26, 32, 64, 'valid'),
    'cifar_conv1_n128_c3_32': (128, 32, 32, 3, 32, 'same'),
    'cifar_conv2_n128_c32_32': (128, 32, 32, 32, 32, 'valid'),
    'cifar_conv3_n128_c32_15': (128, 15, 15, 32, 64, 'same'),
    'cifar_conv4_n128_c64_15': (128, 15, 15, 64, 64, 'valid'),
}


# --------------------------------------------------------------------------- memory and timing

def _status_kib(field):
    """A VmXXX field of /proc/self/status in KiB, or None where there is no /proc."""
    try:
        with open('/proc/self/status') as status:
            for line in status:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss():
    """Restart VmHWM from the current resident set (Linux >= 4.0); False where not allowed."""
    try:
        with open('/proc/self/clear_refs', 'w') as clear_refs:
            clear_refs.write('5')
        return True
    except OSError:
        return False


def _peak_rss_kib():
    peak = _status_kib('VmHWM')
    if peak is None:
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return peak


def _time_steps(fn, synchronize, warmup, steps):
    """Seconds per call of fn, synchronized before each clock read; warm-up calls not counted."""
    for _ in range(warmup):
        fn()
    synchronize()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        fn()
        synchronize()
        times.append(time.perf_counter() - start)
    return times


def _summary(times):
    ms = sorted(t * 1e3 for t in times)
    return {'median_ms': statistics.median(ms), 'min_ms': ms[0],
            'q1_ms': ms[len(ms) // 4], 'q3_ms': ms[(3 * len(ms)) // 4], 'n': len(ms)}


class _CupyPeak:
    """Peak bytes in use in CuPy's default memory pool while installed (a counting allocator)."""

    def __init__(self, cupy):
        self.cupy = cupy
        self.pool = cupy.get_default_memory_pool()

    def __enter__(self):
        self.previous = self.cupy.cuda.get_allocator()
        self.peak = self.pool.used_bytes()

        def allocate(size):
            pointer = self.previous(size)
            self.peak = max(self.peak, self.pool.used_bytes())
            return pointer

        self.cupy.cuda.set_allocator(allocate)
        return self

    def __exit__(self, *exc):
        self.cupy.cuda.set_allocator(self.previous)


def _gpu_memory_pass(framework, runner, steps):
    """Peak GPU bytes allocated over `steps` train steps, or None when not on a GPU."""
    if framework == 'gkeras':
        try:
            import cupy
        except ImportError:
            return None
        import gkeras.backend as K
        if K.active().name != 'cupy':
            return None
        runner.synchronize()
        with _CupyPeak(cupy) as peak:
            for _ in range(steps):
                runner.train_step()
            runner.synchronize()
        return peak.peak
    if framework == 'torch' and getattr(runner, 'on_gpu', False):
        return runner.torch.cuda.max_memory_allocated()
    return None


# --------------------------------------------------------------------------- workers

def _build(framework, model, backend):
    if framework == 'gkeras':
        return models.gkeras_runner(model, backend)
    if framework == 'torch':
        return models.torch_runner(model, _torch_device(backend))
    threads = os.environ.get('TF_NUM_INTRAOP_THREADS')
    if threads:
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(int(threads))
    return models.tf_runner(model)


def _torch_device(backend):
    """'cuda' for the CuPy backend (raising ImportError when PyTorch sees no GPU), else 'cpu'."""
    import torch
    if backend != 'cupy':
        return 'cpu'
    if not torch.cuda.is_available():
        raise ImportError('PyTorch here has no CUDA device')
    return 'cuda'


def _framework_info(framework, backend):
    if framework == 'gkeras':
        import gkeras.backend as K
        threads = os.environ.get('OPENBLAS_NUM_THREADS', 'default')
        return f'{K.active().describe()}, BLAS threads: {threads}'
    if framework == 'torch':
        import torch
        device = _torch_device(backend)
        if device == 'cuda':
            return (f'PyTorch {torch.__version__} on {torch.cuda.get_device_name()} '
                    f'(cuDNN {torch.backends.cudnn.version()}, TF32 off, cudnn.benchmark on)')
        return f'PyTorch {torch.__version__} on the CPU, {torch.get_num_threads()} threads'
    import tensorflow as tf
    devices = [d.device_type for d in tf.config.list_logical_devices()]
    threads = tf.config.threading.get_intra_op_parallelism_threads() or 'default'
    return (f"tf.keras {tf.__version__} (devices: {', '.join(devices)}), intra-op threads: "
            f"{threads}")


def run_model_worker(framework, model, backend, steps, warmup):
    """Time one model under one framework in this process; returns a JSON-able dict."""
    try:
        runner = _build(framework, model, backend)
    except ImportError as error:
        return {'status': 'skipped', 'reason': f'{framework}: {error}'}
    load_before = _load_average()
    for _ in range(warmup):
        runner.train_step()
    runner.synchronize()
    if framework == 'torch' and runner.on_gpu:
        runner.torch.cuda.reset_peak_memory_stats()
    rss_before = _status_kib('VmRSS')
    reset = _reset_peak_rss()
    train = _time_steps(runner.train_step, runner.synchronize, 0, steps)
    peak_rss = _peak_rss_kib()
    gpu_peak = _gpu_memory_pass(framework, runner, min(steps, 3))
    predict = _time_steps(runner.predict, runner.synchronize, warmup, steps)
    return {
        'status': 'ok', 'framework': framework, 'model': model,
        'info': _framework_info(framework, backend),
        'train': _summary(train), 'predict': _summary(predict),
        'peak_rss_mib': peak_rss / 1024 if peak_rss else None,
        # without a reset, VmHWM covers the whole process, so growth over the steps is unknown
        'step_rss_mib': (peak_rss - rss_before) / 1024 if reset and rss_before else None,
        'gpu_peak_mib': gpu_peak / 2**20 if gpu_peak is not None else None,
        'load_average': [load_before, _load_average()],
    }


def _conv_flops(shape):
    n, h, w, c, k, padding = shape
    out_h, out_w = (h, w) if padding == 'same' else (h - 2, w - 2)
    return 2 * n * k * out_h * out_w * c * 9


def _gkeras_conv(shape, backend):
    """Forward and forward+backward closures of gkeras' conv2d at `shape` (channels_last)."""
    import numpy as np
    import gkeras.backend as K
    from gkeras.backend import autodiff as ad

    active = models.select_gkeras_backend(backend)
    if not hasattr(K, 'conv2d'):
        raise ImportError('gkeras.backend has no conv2d primitive yet')
    n, h, w, c, k, padding = shape
    rng = np.random.default_rng(0)
    x = ad.Variable(active.asarray(rng.standard_normal((n, h, w, c), dtype=np.float32)))
    kernel = ad.Variable(active.asarray(rng.standard_normal((3, 3, c, k), dtype=np.float32)))
    out_shape = K.int_shape(K.conv2d(x, kernel, padding=padding))
    dy = active.asarray(rng.standard_normal(out_shape, dtype=np.float32))

    def forward():
        with ad.no_grad():
            return K.conv2d(x, kernel, padding=padding)

    def forward_backward():
        y = K.conv2d(x, kernel, padding=padding)
        return ad.gradients(y, [x, kernel], output_gradient=dy)

    return forward, forward_backward, active.synchronize, active.describe()


def _torch_conv(shape, backend, tf32):
    """Forward and forward+backward closures of torch's conv2d (cuDNN on the GPU), NCHW."""
    import torch

    device = _torch_device(backend)
    if device == 'cuda':
        torch.backends.cudnn.allow_tf32 = tf32
        torch.backends.cudnn.benchmark = True
    n, h, w, c, k, padding = shape
    pad = 1 if padding == 'same' else 0
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(n, c, h, w, generator=generator).to(device).requires_grad_()
    kernel = torch.randn(k, c, 3, 3, generator=generator).to(device).requires_grad_()
    dy = torch.randn_like(torch.nn.functional.conv2d(x, kernel, padding=pad))

    def synchronize():
        if device == 'cuda':
            torch.cuda.synchronize()

    def forward():
        with torch.no_grad():
            return torch.nn.functional.conv2d(x, kernel, padding=pad)

    def forward_backward():
        y = torch.nn.functional.conv2d(x, kernel, padding=pad)
        return torch.autograd.grad(y, (x, kernel), dy)

    where = torch.cuda.get_device_name() if device == 'cuda' else (
        f'the CPU, {torch.get_num_threads()} threads')
    info = f'PyTorch {torch.__version__} conv2d on {where}' + (
        f", TF32 {'on' if tf32 else 'off'}" if device == 'cuda' else '')
    return forward, forward_backward, synchronize, info


def _tf_conv(shape, backend):
    """Forward and forward+backward closures of TensorFlow's conv2d (oneDNN on the CPU), NHWC,
    each a tf.function whose results are copied to NumPy arrays."""
    import numpy as np
    import tensorflow as tf

    if backend == 'cupy':
        raise ImportError('the tf kernel comparison is for the CPU')
    threads = os.environ.get('TF_NUM_INTRAOP_THREADS')
    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(int(threads))
    n, h, w, c, k, padding = shape
    rng = np.random.default_rng(0)
    x = tf.constant(rng.standard_normal((n, h, w, c), dtype=np.float32))
    kernel = tf.constant(rng.standard_normal((3, 3, c, k), dtype=np.float32))
    pad = padding.upper()
    dy = tf.constant(rng.standard_normal(tf.nn.conv2d(x, kernel, 1, pad).shape,
                                         dtype=np.float32))
    conv = tf.function(lambda: tf.nn.conv2d(x, kernel, 1, pad))

    @tf.function
    def outputs_and_gradients():
        # the output is returned too: else the graph would drop the forward convolution, which
        # the gradients do not read
        with tf.GradientTape() as tape:
            tape.watch([x, kernel])
            y = tf.nn.conv2d(x, kernel, 1, pad)
        return [y] + tape.gradient(y, [x, kernel], output_gradients=dy)

    def forward():
        return conv().numpy()

    def forward_backward():
        return [t.numpy() for t in outputs_and_gradients()]

    threads = tf.config.threading.get_intra_op_parallelism_threads() or 'default'
    info = f'TensorFlow {tf.__version__} conv2d on the CPU, intra-op threads: {threads}'
    return forward, forward_backward, lambda: None, info


def run_kernel_worker(framework, shape_name, backend, steps, warmup, tf32=False):
    shape = CONV_SHAPES[shape_name]
    try:
        if framework == 'gkeras':
            forward, forward_backward, synchronize, info = _gkeras_conv(shape, backend)
        elif framework == 'tf':
            forward, forward_backward, synchronize, info = _tf_conv(shape, backend)
        else:
            forward, forward_backward, synchronize, info = _torch_conv(shape, backend, tf32)
    except ImportError as error:
        return {'status': 'skipped', 'reason': f'{framework}: {error}'}
    flops = _conv_flops(shape)
    result = {'status': 'ok', 'framework': framework, 'shape': shape_name, 'info': info,
              'tf32': tf32}
    for phase, fn, phase_flops in (('forward', forward, flops),
                                   ('forward_backward', forward_backward, 3 * flops)):
        summary = _summary(_time_steps(fn, synchronize, warmup, steps))
        summary['tflops'] = phase_flops / (summary['median_ms'] * 1e-3) / 1e12
        result[phase] = summary
    return result


# --------------------------------------------------------------------------- the parent

THREAD_VARIABLES = ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS',
                    'TF_NUM_INTRAOP_THREADS')


def _worker_env(backend, threads=None):
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(p for p in (REPO, env.get('PYTHONPATH')) if p)
    env['GKERAS_BACKEND'] = backend
    if threads:
        env.update({name: str(threads) for name in THREAD_VARIABLES})
    env.setdefault('TF_USE_LEGACY_KERAS', '1')
    env.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
    return env


def _spawn(python, worker_args, args):
    """Run this script as a worker under `python`; returns its result dict."""
    command = [python, os.path.abspath(__file__), '--worker', '--backend', args.backend
               ] + worker_args
    try:
        done = subprocess.run(command, env=_worker_env(args.backend, args.threads),
                              capture_output=True, text=True, timeout=WORKER_TIMEOUT_S)
    except FileNotFoundError:
        return {'status': 'skipped', 'reason': f'no interpreter at {python}'}
    except subprocess.TimeoutExpired:
        return {'status': 'error', 'reason': f'worker ran past {WORKER_TIMEOUT_S} s'}
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER):])
    tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
    return {'status': 'error', 'reason': f'worker exited {done.returncode}: ' + ' | '.join(tail)}


def _python_for(framework, args):
    return {'gkeras': args.gkeras_python, 'torch': args.torch_python,
            'tf': args.tf_python}[framework]


def _ratio(ours, theirs):
    return f'{ours / theirs:.2f}' if ours and theirs else '-'


def _fmt(value, digits=2):
    return '-' if value is None else f'{value:.{digits}f}'


def _print_table(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    for i, row in enumerate([header] + rows):
        print('  '.join(str(cell).ljust(w) if j == 0 else str(cell).rjust(w)
                        for j, (cell, w) in enumerate(zip(row, widths))))
        if i == 0:
            print('  '.join('-' * w for w in widths))


def compare_models(args, peers):
    """{(model, framework): [result of each repeat]}; repeats interleave the frameworks, so a
    burst of load from elsewhere on the machine hits all of them alike."""
    runs = {}
    for repeat in range(args.repeat):
        for model in args.models:
            for framework in ('gkeras',) + peers:
                print(f'... {model} / {framework} (run {repeat + 1} of {args.repeat}, load '
                      f'{_load_average()})', file=sys.stderr, flush=True)
                result = _spawn(_python_for(framework, args),
                                ['--framework', framework, '--model', model,
                                 '--steps', str(args.steps), '--warmup', str(args.warmup)], args)
                if result['status'] != 'ok':
                    print(f"    {result['status']}: {result['reason']}", file=sys.stderr,
                          flush=True)
                runs.setdefault((model, framework), []).append(result)
    return runs


def best_of(runs):
    """One result from the repeats of one (model, framework): per phase, the run with the
    lowest median (the one least disturbed by other load); memory from the first run."""
    ok = [r for r in runs if r['status'] == 'ok']
    if not ok:
        return runs[-1]
    best = dict(ok[0])
    for phase in ('train', 'predict'):
        best[phase] = min((r[phase] for r in ok), key=lambda summary: summary['median_ms'])
        best[f'{phase}_medians_ms'] = [r[phase]['median_ms'] for r in ok]
    return best


def print_model_tables(results, model_names, peers, backend):
    ok = {key: r for key, r in results.items() if r['status'] == 'ok'}
    infos = []
    for framework in FRAMEWORKS:
        for (_, f), r in ok.items():
            line = f"{framework}: {r['info']}"
            if f == framework and line not in infos:
                infos.append(line)
    print('\n'.join(infos))
    present = [p for p in peers if any(f == p for _, f in ok)]

    def value(model, framework, *path):
        r = ok.get((model, framework))
        for key in path:
            r = r[key] if r else None
        return r

    header = ['model', 'phase', 'gkeras ms'] + [
        cell for p in present for cell in (f'{p} ms', f'gkeras/{p}')]
    rows = []
    for model in model_names:
        for phase in ('train', 'predict'):
            ours = value(model, 'gkeras', phase, 'median_ms')
            row = [model, phase, _fmt(ours)]
            for p in present:
                theirs = value(model, p, phase, 'median_ms')
                row += [_fmt(theirs), _ratio(ours, theirs)]
            rows.append(row)
    print('\nms per step, median (train = one train_on_batch; predict = one batch to the host)')
    _print_table(header, rows)

    if backend == 'cupy':
        print('\nmemory: peak GPU MiB allocated during a train step')
        header = ['model', 'gkeras peak'] + [
            cell for p in present for cell in (f'{p} peak', f'gkeras/{p}')]
    else:
        print('\nmemory: peak = VmHWM MiB of the process over the train steps (framework and '
              'interpreter included); step = its growth over the resident set before them')
        header = ['model', 'gkeras peak', 'gkeras step'] + [
            cell for p in present for cell in (f'{p} peak', f'{p} step', f'gkeras/{p} peak')]
    key = 'gpu_peak_mib' if backend == 'cupy' else 'peak_rss_mib'
    rows = []
    for model in model_names:
        ours = value(model, 'gkeras', key)
        row = [model, _fmt(ours, 0)]
        if backend != 'cupy':
            row.append(_fmt(value(model, 'gkeras', 'step_rss_mib'), 0))
        for p in present:
            row.append(_fmt(value(model, p, key), 0))
            if backend != 'cupy':
                row.append(_fmt(value(model, p, 'step_rss_mib'), 0))
            row.append(_ratio(ours, value(model, p, key)))
        rows.append(row)
    _print_table(header, rows)
    problems = [(pair, r) for pair, r in results.items() if r['status'] != 'ok']
    if problems:
        print()
        for (model, framework), r in problems:
            print(f"{model} / {framework}: {r['status']}: {r['reason']}")


def compare_kernels(args, peers):
    """Conv kernel throughput: gkeras vs PyTorch (cuDNN float32, and TF32 on the GPU) and, on
    the CPU, TensorFlow (oneDNN)."""
    runs = [('gkeras', False)]
    if 'torch' in peers:
        runs.append(('torch', False))
        if args.backend == 'cupy':
            runs.append(('torch', True))
    if 'tf' in peers and args.backend == 'numpy':
        runs.append(('tf', False))
    steps = args.kernel_steps or (args.steps if args.backend == 'cupy' else 5)
    warmup = args.warmup if args.backend == 'cupy' else 1
    results = {}
    for shape_name in args.shapes:
        for framework, tf32 in runs:
            print(f'... {shape_name} / {framework}{" tf32" if tf32 else ""}', file=sys.stderr,
                  flush=True)
            worker_args = ['--framework', framework, '--kernel', shape_name,
                           '--steps', str(steps), '--warmup', str(warmup)] + (
                               ['--tf32'] if tf32 else [])
            results[(shape_name, framework, tf32)] = _spawn(_python_for(framework, args),
                                                            worker_args, args)
    print_kernel_table(results, runs, steps, warmup, args.shapes)
    return results


def print_kernel_table(results, runs, steps, warmup, shapes):
    notes, rows = [], []
    for (shape_name, framework, tf32), r in results.items():
        line = r['info'] if r['status'] == 'ok' else (
            f"{shape_name} / {framework}: {r['status']}: {r['reason']}")
        if line not in notes:
            notes.append(line)
    for shape_name in shapes:
        ours = results[(shape_name, 'gkeras', False)]
        for phase in ('forward', 'forward_backward'):
            for framework, tf32 in runs:
                r = results[(shape_name, framework, tf32)]
                if r['status'] != 'ok':
                    continue
                tflops = r[phase]['tflops']
                share = (_ratio(ours[phase]['tflops'], tflops)
                         if framework != 'gkeras' and ours['status'] == 'ok' else '')
                rows.append([shape_name, phase, framework + (' (TF32)' if tf32 else ''),
                             _fmt(r[phase]['median_ms'], 3), _fmt(tflops, 3), share])
    print('\n'.join(notes))
    print(f'\nconv 3x3 stride 1, float32, median of {steps} runs after {warmup} warm-up; '
          'forward+backward counts 3x the forward FLOPs; gkeras share = its TFLOP/s over '
          'the peer\'s')
    _print_table(['shape', 'phase', 'framework', 'ms', 'TFLOP/s', 'gkeras share'], rows)
    if any(results[(name, 'gkeras', False)]['status'] != 'ok' for name in shapes):
        print('\nNO gkeras conv measurement: gkeras has no usable conv primitive here '
              '(reason above).')


def _parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--backend', choices=('numpy', 'cupy'), default='numpy')
    parser.add_argument('--models', default=','.join(models.MODELS),
                        help='comma-separated benchmark model names')
    parser.add_argument('--steps', type=int, default=50, help='timed steps (median taken)')
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--repeat', type=int, default=1,
                        help='run every (model, framework) this many times, interleaved, and '
                             'report the lowest median (for a machine shared with other work)')
    parser.add_argument('--peers', default='torch,tf',
                        help="comma-separated peers among torch, tf ('' for none)")
    parser.add_argument('--threads', type=int, default=None,
                        help='CPU threads for every framework (sets ' + ', '.join(THREAD_VARIABLES)
                        + '); default: each framework\'s own choice')
    parser.add_argument('--gkeras-python', default=sys.executable)
    parser.add_argument('--torch-python', default=sys.executable)
    parser.add_argument('--tf-python', default=sys.executable)
    parser.add_argument('--kernels', action='store_true',
                        help='the conv kernel benchmark instead of the models')
    parser.add_argument('--kernel-steps', type=int, default=None,
                        help='timed runs per kernel (default: --steps on the GPU, 5 on the CPU)')
    parser.add_argument('--shapes', default=','.join(CONV_SHAPES),
                        help='comma-separated convolution shapes for --kernels')
    parser.add_argument('--json', help='also write the raw results to this file')
    # worker mode: one measurement in this process
    parser.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--framework', choices=FRAMEWORKS, help=argparse.SUPPRESS)
    parser.add_argument('--model', help=argparse.SUPPRESS)
    parser.add_argument('--kernel', choices=sorted(CONV_SHAPES), help=argparse.SUPPRESS)
    parser.add_argument('--tf32', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.models = [m for m in args.models.split(',') if m]
    args.shapes = [m for m in args.shapes.split(',') if m]
    peers = tuple(p for p in args.peers.split(',') if p)
    unknown = [p for p in peers if p not in FRAMEWORKS[1:]] + [
        m for m in args.models if m not in models.MODELS] + [
        m for m in args.shapes if m not in CONV_SHAPES]
    if unknown:
        parser.error(f'unknown peers, models or shapes: {unknown}; peers are torch, tf, models '
                     f'{sorted(models.MODELS)}, shapes {sorted(CONV_SHAPES)}')
    if args.steps < 1 or args.warmup < 0 or args.repeat < 1:
        parser.error('--steps and --repeat must be >= 1 and --warmup >= 0')
    return args, peers


def main(argv=None):
    args, peers = _parse(argv)
    sys.stdout.reconfigure(line_buffering=True)
    if args.worker:
        if args.kernel:
            result = run_kernel_worker(args.framework, args.kernel, args.backend, args.steps,
                                       args.warmup, args.tf32)
        else:
            result = run_model_worker(args.framework, args.model, args.backend, args.steps,
                                      args.warmup)
        print(MARKER + json.dumps(result), flush=True)
        return 0
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')}  backend={args.backend}  "
          f"threads={args.threads or 'default'}  load average {_load_average()}")
    if args.kernels:
        results = compare_kernels(args, peers)
        raw = [{'shape': s, 'framework': f, 'tf32': t, **r} for (s, f, t), r in results.items()]
    else:
        print(f'steps={args.steps} warmup={args.warmup} repeat={args.repeat}'
              + (f' (each figure: the lowest of {args.repeat} medians)' if args.repeat > 1
                 else ''))
        runs = compare_models(args, peers)
        results = {key: best_of(value) for key, value in runs.items()}
        print_model_tables(results, args.models, peers, args.backend)
        raw = [{'model': m, 'framework': f, 'runs': value} for (m, f), value in runs.items()]
    print(f'load average at the end {_load_average()}')
    if args.json:
        with open(args.json, 'w') as out:
            json.dump(raw, out, indent=1)
    return 0


def _load_average():
    try:
        return ' '.join(f'{v:.2f}' for v in os.getloadavg())
    except OSError:
        return 'unknown'


if __name__ == '__main__':
    sys.exit(main())
