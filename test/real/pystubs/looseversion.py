"""
Stand-in for the PyPI ``looseversion`` package, which Debian 12 does not ship.

Salt (``salt/utils/versions.py``) subclasses ``looseversion.LooseVersion`` and relies on
``parse()``, the ``version`` list, ``vstring``, ``_cmp()`` and the rich comparisons built on it.
This is the same algorithm as distutils' LooseVersion: split the string into runs of digits
(compared as ints), runs of letters and single other characters, dropping dots.
Only used by the real-master test harness in test/real/; never shipped.
"""

import re

__all__ = ["LooseVersion"]

_COMPONENT = re.compile(r"(\d+ | [a-z]+ | \.)", re.VERBOSE)


class LooseVersion:
    def __init__(self, vstring=None):
        if vstring:
            self.parse(vstring)

    def parse(self, vstring):
        self.vstring = vstring
        components = [part for part in _COMPONENT.split(vstring) if part and part != "."]
        for index, part in enumerate(components):
            try:
                components[index] = int(part)
            except ValueError:
                pass
        self.version = components

    def __str__(self):
        return self.vstring

    def __repr__(self):
        return f"{self.__class__.__name__}('{self}')"

    def _cmp(self, other):
        if isinstance(other, str):
            other = self.__class__(other)
        elif not isinstance(other, LooseVersion):
            return NotImplemented
        if self.version == other.version:
            return 0
        if self.version < other.version:
            return -1
        return 1

    def _compare(self, other, test):
        result = self._cmp(other)
        return result if result is NotImplemented else test(result)

    def __eq__(self, other):
        return self._compare(other, lambda c: c == 0)

    def __ne__(self, other):
        return self._compare(other, lambda c: c != 0)

    def __lt__(self, other):
        return self._compare(other, lambda c: c < 0)

    def __le__(self, other):
        return self._compare(other, lambda c: c <= 0)

    def __gt__(self, other):
        return self._compare(other, lambda c: c > 0)

    def __ge__(self, other):
        return self._compare(other, lambda c: c >= 0)

    def __hash__(self):
        return hash(tuple(self.version))
