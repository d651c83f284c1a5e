"""The use cases, written once against the backend interface and shared by the command line
and the ribbon: new, plan, validate, refresh, demo."""
