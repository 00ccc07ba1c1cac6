"""seatbatch: partner order workbooks in; priced, numbered invoices out."""

__version__ = "0.1.0"
