"""Sort keys for Chinese names.

Officials expect rosters in pinyin order (as in a printed 花名册). Computing the key once and
storing it makes SQLite and PostgreSQL order alike, whatever their collations.
"""

from pypinyin import Style, lazy_pinyin


def pinyin_sort_key(name: str) -> str:
    # TONE3 puts the tone digit after each syllable ("wang1" < "wang2"), so characters with the
    # same sound order by tone, as in a dictionary.
    syllables = lazy_pinyin(name.strip(), style=Style.TONE3, neutral_tone_with_five=True)
    return " ".join(syllables).lower()[:120]
