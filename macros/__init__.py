# The add-in's VBA modules and ribbon XML, kept as text. This file only lets the installed
# package carry them as `journey_workbook.macros` (see setup.cfg package_dir).
