"""Bodies of the dashboard API and of the websocket, one module per resource (they also
document the API in /api/docs): ``points``, ``health``, ``alarms``."""
