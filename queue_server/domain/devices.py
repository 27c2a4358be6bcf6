"""The kinds of device a hall has on its bus; the centre file registers each one.

The enum is defined in ``queue_server.vocabulary``, which the device protocol shares; the domain
and its callers keep naming it from here.
"""

from queue_server.vocabulary import DeviceKind

__all__ = ["DeviceKind"]
