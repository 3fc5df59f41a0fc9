"""The KomInn service: settings, the FastAPI app and the ``kominn`` command line."""
