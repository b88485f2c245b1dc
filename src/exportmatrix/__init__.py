"""exportmatrix: which torch.export mutation behaviours hold in which torch
release and device build. The host side: config, environments, aggregation,
reports. It never imports torch."""

__version__ = "0.1.0"
