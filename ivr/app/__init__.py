"""The command line and the wiring of adapters into calls."""
