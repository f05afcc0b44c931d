"""The system layer: use cases, ports and settings between the drivers and the pure core.

It imports the core only; adapters implement its ports and the composition root
(:func:`xinyong.open_system`) wires them.
"""
