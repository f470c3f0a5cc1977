"""Where a blocked CPU convolution's forward time goes: the whole forward, its receptive-field
copies alone and its GEMMs alone (each block into its own output rows), on 1 and 2 threads.

    PYTHONPATH=. python3 bench/conv_parts.py [--shape 128 26 26 32 64] [--padding valid]

Defaults to mnist_cnn's second convolution (N H W C -> K, 3x3, stride 1). BLAS is held to one
thread, as inside a train step; medians of --repeat runs after one warm-up.
"""
import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from gkeras.backend import cpu_threads
from gkeras.backend.selection import active
from gkeras.backend.spatial import ConvGeometry


def median_ms(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)) * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--shape', type=int, nargs=5, default=[128, 26, 26, 32, 64],
                        metavar=('N', 'H', 'W', 'C', 'K'))
    parser.add_argument('--padding', choices=['valid', 'same'], default='valid')
    parser.add_argument('--repeat', type=int, default=15)
    args = parser.parse_args()
    n, h, w, c, k = args.shape
    backend = active()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, h, w, c), dtype=np.float32)
    kernel = rng.standard_normal((3, 3, c, k), dtype=np.float32) * 0.1
    pads = ((1, 1), (1, 1)) if args.padding == 'same' else ((0, 0), (0, 0))
    geom = ConvGeometry(x.shape, (3, 3), (1, 1), (1, 1), pads, False)
    matrix = kernel.reshape(-1, k)
    images, lines, blocks = backend._field_blocks(geom, x.itemsize)
    line = int(np.prod(geom.out[1:]))
    per_image = geom.out[0] * line
    out = np.empty((geom.rows, k), np.float32)

    def copies():
        backend._each_block(x, geom, lambda fields: [None for _ in fields])

    def gemms():
        def work(share):
            cols = rng.random((images * lines * line, geom.taps * c), dtype=np.float32)
            for n0, n1, o0, o1 in share:
                rows, start = (n1 - n0) * (o1 - o0) * line, n0 * per_image + o0 * line
                np.matmul(cols[:rows], matrix, out=out[start:start + rows])
        cpu_threads.run(blocks, work)

    flops = 2 * geom.rows * geom.taps * c * k
    print(f'conv {args.shape} 3x3 {args.padding}: {len(blocks)} blocks, {flops / 1e9:.2f} GFLOP')
    with threadpool_limits(1):
        for threads in (1, 2):
            cpu_threads.set_thread_count(threads)
            whole = median_ms(lambda: backend.conv(x, kernel, geom, relu=True), args.repeat)
            print(f'{threads} thread(s): forward {whole:.1f} ms ({flops / whole / 1e6:.0f} '
                  f'GFLOP/s), copies alone {median_ms(copies, args.repeat):.1f} ms, GEMMs alone '
                  f'{median_ms(gemms, args.repeat):.1f} ms')
    cpu_threads.set_thread_count(None)


if __name__ == '__main__':
    main()
