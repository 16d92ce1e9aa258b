"""The network-meeting coordinator for Danish municipal family services."""

import os

# Piccolo finds its engine and app registry through this module path.
os.environ.setdefault("PICCOLO_CONF", "coordinator.piccolo_conf")
