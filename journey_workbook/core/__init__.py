"""Pure journey logic: value parsing, periods, plan decomposition, attainment, status,
forecast, health and tiering. Imports neither openpyxl nor xlwings nor matplotlib."""
