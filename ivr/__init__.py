"""A scripted voice IVR that follows the hotline's service code."""
