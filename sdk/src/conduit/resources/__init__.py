"""Resource groups of the Conduit clients (``client.<resource>.<verb>()``)."""
