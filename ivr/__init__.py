"""Hotline IVR: a scripted voice IVR that follows the hotline's service code to the letter."""

__version__ = "0.2.0"
