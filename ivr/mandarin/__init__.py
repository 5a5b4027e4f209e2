"""Mandarin text understanding for what callers say: numbers, read-backs, yes/no, surnames, intents, slots.

Pure functions over Vosk's space-separated words; no engine imports. Modules (import the one you need):
`text` (normalisation), `numbers` (spoken digits, phone numbers), `readback` (CONF-1 read-back text),
`confirm` (replies to a read-back), `surnames` (surnames, GRT-2/GRT-3 forms of address),
`keywords` (intents, ASK-1), `slots` (a slot value by type), `pinyin` (homophones).
Heavy libraries (pypinyin, cn2an, rapidfuzz) are imported inside the functions that use them.
"""
