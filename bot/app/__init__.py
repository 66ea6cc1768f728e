"""The composition root: builds one Respite from settings, and the web app that serves it."""
