from . import digits
