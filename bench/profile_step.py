"""Profile gkeras train steps: autodiff primitives per step and cProfile's top costs.

    python3 bench/profile_step.py [--model mlp_b128] [--backend numpy] [--steps 20] [--top 25]

For the owners of the autodiff: what a train step spends outside the array kernels. Every
primitive goes through autodiff._record, so counting its calls (named after the public function
that made them) counts the Python-level ops of a step; wrapping the recorded VJPs counts the
backward half.
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
