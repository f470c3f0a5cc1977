"""Progbar: the Keras 2 progress bar printed by `fit(verbose=1)`."""
import sys
import time

import numpy as np


def format_value(value):
    return f' {value:.4f}' if abs(value) > 1e-3 else f' {value:.4e}'


class Progbar:
    """Displays progress towards `target` with an ETA and the latest metric values.

    On a terminal the bar redraws in place; elsewhere (logs, CI) it prints only the final line,
    as tf.keras does. `values` are (name, value) pairs shown as given (running means are computed
    by the caller).
    """

    def __init__(self, target, width=30, verbose=1, interval=0.05, stateful_metrics=None,
                 file=None):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.file = file or sys.stdout
        self._dynamic = (hasattr(self.file, 'isatty') and self.file.isatty()) or 'ipykernel' in sys.modules
        self._values = {}
        self._order = []
        self._start = time.time()
        self._last_update = 0
        self._total_width = 0
        self._seen = 0

    def update(self, current, values=None, finalize=None):
        for name, value in values or []:
            if name not in self._values:
                self._order.append(name)
            self._values[name] = value
        self._seen = current
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        now = time.time()
        if self.verbose != 1 or (not finalize and now - self._last_update < self.interval):
            if self.verbose == 2 and finalize:
                self.file.write(self._summary(now) + '\n')
                self.file.flush()
            return
        self._last_update = now
        if not self._dynamic and not finalize:
            return
        line = self._bar(current) + (self._summary(now) if finalize else self._eta(current, now))
        line += self._metrics()
        if self._dynamic:
            padding = max(self._total_width - len(line), 0)
            self.file.write('\r' + line + ' ' * padding)
            self._total_width = len(line)
        else:
            self.file.write(line)
        if finalize:
            self.file.write('\n')
        self.file.flush()

    def add(self, n, values=None):
        self.update(self._seen + n, values)

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
        per_unit = (now - self._start) / current if current else 0
        if self.target is None or not current:
            return ''
        eta = per_unit * (self.target - current)
        if eta > 3600:
            return f' - ETA: {int(eta // 3600)}:{int(eta % 3600) // 60:02d}:{int(eta % 60):02d}'
        if eta > 60:
            return f' - ETA: {int(eta // 60)}:{int(eta % 60):02d}'
        return f' - ETA: {int(eta)}s'

    def _summary(self, now):
        elapsed = now - self._start
        per_unit = elapsed / self._seen if self._seen else 0
        if per_unit >= 1:
            unit = f'{per_unit:.0f}s/step'
        elif per_unit >= 1e-3:
            unit = f'{per_unit * 1e3:.0f}ms/step'
        else:
            unit = f'{per_unit * 1e6:.0f}us/step'
        text = f' - {elapsed:.0f}s {unit}'
        return text + (self._metrics() if self.verbose == 2 else '')

    def _metrics(self):
        return ''.join(f' - {name}:{format_value(float(self._values[name]))}'
                       for name in self._order)
