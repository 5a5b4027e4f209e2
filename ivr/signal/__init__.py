"""Signal processing on caller audio: WAV I/O, levels, speech edges, hearing measures."""
