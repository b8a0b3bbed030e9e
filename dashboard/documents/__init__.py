"""Printable documents: PDF (ReportLab) and Excel (openpyxl) renderers for the duty room."""
