"""One resource per external capability: an abstract interface, the offline default beside it.

Cloud implementations (later issues) subclass the same interfaces, so the asset graph
does not change when a channel moves from the offline default to a cloud provider.
"""
