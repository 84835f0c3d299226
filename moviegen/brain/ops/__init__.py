"""LocalBrain's operations, one module per area of the studio (see moviegen.core.api for the interface)."""
