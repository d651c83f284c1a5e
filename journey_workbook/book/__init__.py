"""Workbook backends behind one small interface (see base.py): a file backend on openpyxl
for the command line and scripts, and a live backend on xlwings for the ribbon buttons."""
