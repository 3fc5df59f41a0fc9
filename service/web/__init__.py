"""The staff web pages: server-rendered (Jinja2), with small scripts and styles of our own."""
