"""Progbar: the Keras 2 progress bar printed by `fit(verbose=1)`."""
import sys
import time

import numpy as np


def format_value(value):
    return f' {value:.4f}' if abs(value) > 1e-3 else f' {value:.4e}'


class Progbar:
    """Displays progress towards `target` with an ETA and running metric values (Keras 2.2 API).

    `update(current, values)` takes (name, value) pairs: values of names in `stateful_metrics`
    are shown as given, the others as their average over the steps (or samples) seen, weighted by
    how far `current` moved. Values may be device scalars: they are multiplied and summed where
    they live and read back only when a line is drawn. On a terminal the bar redraws in place
    (at most every `interval` seconds); elsewhere (logs, CI) only the final line is printed, as
    tf.keras does.

    Args:
        target: total number of steps (or samples), None if unknown.
        verbose: 1 draws the bar, 2 prints one summary line at the end, 0 prints nothing.
        file: where to write (default: sys.stdout at the time of each write).
    """

    def __init__(self, target, width=30, verbose=1, interval=0.05, stateful_metrics=None,
                 file=None):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.stateful_metrics = set(stateful_metrics or [])
        self._file = file
        self._dynamic = (hasattr(self.file, 'isatty') and self.file.isatty()) or \
            'ipykernel' in sys.modules
        self._values = {}  # name -> [sum or value, count], in display order
        self._start = time.time()
        self._last_update = 0
        self._total_width = 0
        self._seen_so_far = 0

    @property
    def file(self):
        return self._file if self._file is not None else sys.stdout

    def update(self, current, values=None, finalize=None):
        """Advance to `current`; `finalize` (default: current >= target) prints the final line."""
        delta = current - self._seen_so_far
        for name, value in values or []:
            if name in self.stateful_metrics:
                self._values[name] = [value, 1]
            elif name in self._values:
                entry = self._values[name]
                entry[0] = entry[0] + value * delta
                entry[1] += delta
            else:
                self._values[name] = [value * delta, delta]
        self._seen_so_far = current
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        now = time.time()
        if self.verbose == 2:
            if finalize:
                self._write(f' - {now - self._start:.0f}s' + self._metrics() + '\n')
            return
        if self.verbose != 1 or (not finalize and now - self._last_update < self.interval):
            return
        self._last_update = now
        if not self._dynamic and not finalize:
            return
        line = self._bar(current) + (self._summary(current, now) if finalize
                                     else self._eta(current, now)) + self._metrics()
        if self._dynamic:
            padding = max(self._total_width - len(line), 0)
            self._total_width = len(line)
            line = '\r' + line + ' ' * padding
        self._write(line + ('\n' if finalize else ''))

    def add(self, n, values=None):
        self.update(self._seen_so_far + n, values)

    def _write(self, text):
        self.file.write(text)
        self.file.flush()

    def _bar(self, current):
        if self.target is None:
            return f'{current:7d}/Unknown'
        digits = int(np.floor(np.log10(self.target))) + 1 if self.target > 0 else 1
        bar = f'{current:{digits}d}/{self.target} ['
        progress = float(current) / self.target if self.target else 1.0
        filled = int(self.width * progress)
        if filled > 0:
            bar += '=' * (filled - 1)
            bar += '>' if current < self.target else '='
        bar += '.' * (self.width - filled) + ']'
        return bar

    def _eta(self, current, now):
        if self.target is None or not current:
            return f' - {now - self._start:.0f}s'
        eta = (now - self._start) / current * (self.target - current)
        if eta > 3600:
            return f' - ETA: {int(eta // 3600)}:{int(eta % 3600) // 60:02d}:{int(eta % 60):02d}'
        if eta > 60:
            return f' - ETA: {int(eta // 60)}:{int(eta % 60):02d}'
        return f' - ETA: {int(eta)}s'

    def _summary(self, current, now):
        elapsed = now - self._start
        per_unit = elapsed / current if current else 0
        if per_unit >= 1:
            unit = f'{per_unit:.0f}s/step'
        elif per_unit >= 1e-3:
            unit = f'{per_unit * 1e3:.0f}ms/step'
        else:
            unit = f'{per_unit * 1e6:.0f}us/step'
        return f' - {elapsed:.0f}s {unit}'

    def _metrics(self):
        text = ''
        for name, (total, count) in self._values.items():
            text += f' - {name}:' + format_value(float(total) / max(1, count))
        return text
