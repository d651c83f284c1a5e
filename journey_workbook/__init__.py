"""journey-workbook: a client's customer-success journey, run in an Excel workbook."""

__version__ = "0.1.0"
