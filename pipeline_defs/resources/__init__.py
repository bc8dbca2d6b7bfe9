"""One resource module per resource key (``script_writer.py`` provides ``script_writer``): an abstract
interface, the offline default and the cloud implementations beside it, and the set of them that
the code location always declares (``provider_set.py``), so the asset graph and the resource set do
not change when a channel moves from the offline default to a cloud provider.
"""
