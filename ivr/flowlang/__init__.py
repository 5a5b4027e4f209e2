"""The flow language: YAML flows loaded, compiled into state machines and checked against the code."""
