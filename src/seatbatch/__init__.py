"""seatbatch: partner order workbooks in; priced, numbered invoices out."""

import os

__version__ = "0.1.0"

# openpyxl parses with lxml whenever lxml is installed (seatbatch builds e-invoices with it).
# Workbooks from outside are read and copied with openpyxl's standard-library parser behind
# defusedxml, the parser the guard (seatbatch.intake) and the hostile-file tests were built
# against; with lxml, openpyxl reads some of them otherwise (1904 dates, damaged parts).
os.environ["OPENPYXL_LXML"] = "False"
