"""Mandarin text as callers say it and the recogniser writes it (space-separated words, misheard homophones).

Numbers (cn2an), surnames (pypinyin, heteronyms included), keywords (rapidfuzz and pinyin), yes/no and
corrections, read-backs. The libraries load only when first used: most commands never need them.
"""
