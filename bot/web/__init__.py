"""The web console for staff and board: server-rendered pages over the features'
services, served by ``klbot run`` when ``[web] enabled`` (``server.py``)."""
