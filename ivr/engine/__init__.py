"""The call engine: ports, the listener, the prompt player, the timeline and the call itself."""
