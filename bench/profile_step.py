"""Profile gkeras train steps: the backend kernels' wall time, autodiff primitives per step
and cProfile's top costs.

    python3 bench/profile_step.py [--model mlp_b128] [--backend numpy] [--steps 20] [--top 25]

First, the wall time per step of each backend kernel (convolution and its gradients by input
shape, pooling, matrix products, the relu gradient, the optimizer update) and what is left:
where a step's time goes, threads included (cProfile sees only the calling thread). Then, for
the owners of the autodiff, what a step spends outside the array kernels: every primitive goes
through autodiff._record, so counting its calls (named after the public function that made them)
counts the Python-level ops of a step; wrapping the recorded VJPs counts the backward half.
"""
import argparse
import collections
import cProfile
import io
import os
import pstats
import sys
import time

import models

AUTODIFF_HELPERS = ('_binary', '_unary', '_compare', '_reduce_extreme', '_record')


def _primitive_name(frame):
    """The public function that called _record (skipping autodiff's shared helpers)."""
    while frame is not None and frame.f_code.co_name in AUTODIFF_HELPERS:
        frame = frame.f_back
    if frame is None:
        return '?'
    module = os.path.splitext(os.path.basename(frame.f_code.co_filename))[0]
    return f'{module}.{frame.f_code.co_name}'


class PrimitiveCounter:
    """Counts _record calls (forward), the taped ones, and VJP calls, per primitive name."""

    def __init__(self):
        self.forward = collections.Counter()
        self.taped = collections.Counter()
        self.backward = collections.Counter()
        self._patched = []

    def __enter__(self):
        from gkeras.backend import autodiff
        original = autodiff._record
        counter = self

        def record(out, inputs, vjp):
            name = _primitive_name(sys._getframe(1))
            counter.forward[name] += 1

            def counted_vjp(dy, needs):
                counter.backward[name] += 1
                return vjp(dy, needs)
            tensor = original(out, inputs, counted_vjp)
            if tensor.requires_grad:
                counter.taped[name] += 1
            return tensor

        # modules that imported _record by name hold their own reference to it
        for module in list(sys.modules.values()):
            if (getattr(module, '__name__', '').startswith('gkeras')
                    and getattr(module, '_record', None) is original):
                self._patched.append((module, original))
                module._record = record
        return self

    def __exit__(self, *exc):
        for module, original in self._patched:
            module._record = original


KERNELS = ('conv', 'conv_grad_input', 'conv_grad_weight', 'conv_grad_bias', 'pool',
           'pool_grad', 'relu_grad', 'gemm')


class KernelTimer:
    """Wall time of the backend's kernels (by the shape of their first array for the
    convolutions) and of the optimizer's apply_gradients, while in use."""

    def __init__(self, backend, optimizer):
        self.seconds = collections.Counter()
        self.calls = collections.Counter()
        self._targets = [(backend, name) for name in KERNELS if hasattr(backend, name)]
        self._targets.append((optimizer, 'apply_gradients'))
        self._saved = []

    def _wrap(self, owner, name):
        function = getattr(owner, name)
        timer = self

        def timed(*args, **kwargs):
            key = name if not name.startswith('conv') else f'{name} {tuple(args[0].shape)}'
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                timer.seconds[key] += time.perf_counter() - start
                timer.calls[key] += 1
        return timed

    def __enter__(self):
        for owner, name in self._targets:
            self._saved.append((owner, name, owner.__dict__.get(name)))
            setattr(owner, name, self._wrap(owner, name))
        return self

    def __exit__(self, *exc):
        for owner, name, previous in self._saved:
            if previous is None:
                delattr(owner, name)
            else:
                setattr(owner, name, previous)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--model', default='mlp_b128', choices=sorted(models.MODELS))
    parser.add_argument('--backend', default='numpy', choices=('numpy', 'cupy'))
    parser.add_argument('--steps', type=int, default=20)
    parser.add_argument('--top', type=int, default=25)
    args = parser.parse_args(argv)

    runner = models.gkeras_runner(args.model, args.backend)
    for _ in range(3):
        runner.train_step()
    runner.synchronize()

    start = time.perf_counter()
    for _ in range(args.steps):
        runner.train_step()
    runner.synchronize()
    plain_ms = (time.perf_counter() - start) / args.steps * 1e3

    from gkeras.backend import selection
    with KernelTimer(selection.active(), runner.model.optimizer) as timer:
        start = time.perf_counter()
        for _ in range(args.steps):
            runner.train_step()
        runner.synchronize()
        step_ms = (time.perf_counter() - start) / args.steps * 1e3

    with PrimitiveCounter() as counter:
        runner.train_step()
        runner.synchronize()

    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.steps):
        runner.train_step()
    runner.synchronize()
    profile.disable()
    stats = pstats.Stats(profile)

    print(f'{args.model} on {args.backend}: {plain_ms:.2f} ms per train step (mean of '
          f'{args.steps}, unprofiled); {stats.total_calls / args.steps:.0f} Python function '
          f'calls per step')
    print(f'\nwall time per step by backend kernel ({step_ms:.2f} ms per step while timed):')
    for name, seconds in timer.seconds.most_common():
        print(f'{name:48s} {seconds / args.steps * 1e3:8.2f} ms  '
              f'({timer.calls[name] / args.steps:g} calls)')
    print(f"{'everything else':48s} "
          f"{step_ms - sum(timer.seconds.values()) / args.steps * 1e3:8.2f} ms")
    print(f'\nautodiff primitives in one step: {sum(counter.forward.values())} forward '
          f'({sum(counter.taped.values())} on the tape), {sum(counter.backward.values())} VJPs')
    print(f"{'primitive':40s} {'forward':>8s} {'taped':>6s} {'vjp':>5s}")
    for name, count in counter.forward.most_common():
        print(f'{name:40s} {count:8d} {counter.taped[name]:6d} {counter.backward[name]:5d}')
    for order in ('tottime', 'cumulative'):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(order).print_stats(args.top)
        text = out.getvalue()
        print(f'\ncProfile over {args.steps} steps, by {order}:')
        print(text[text.index('   ncalls'):].rstrip())
    return 0


if __name__ == '__main__':
    sys.exit(main())
