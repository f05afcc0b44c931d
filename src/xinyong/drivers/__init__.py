"""Thin drivers over :class:`xinyong.CreditSystem`: the command line, the HTTP service and the
NATS stream consumer. Each parses its input, calls the system, and renders the answer."""
