"""Names the index's schema is known by, kept apart from :mod:`ficindex.index.schema`.

The schema module builds tables with sqlite-utils, whose import costs
50-900 ms (it imports pandas and numpy whenever they are installed). The read
commands (``search``, ``query``) only need to know these names: which schema
steps this version knows, and which columns the word indexes hold. So they live
here, with no import at all, and the schema module takes them from here.
"""

from __future__ import annotations

#: The ``migration_set`` of the index's steps in ``_sqlite_migrations``.
MIGRATION_SET = "ficindex"

#: Every schema step this version knows, in the order they are applied. The schema module
#: registers one function per name (``tests/test_index_schema.py`` checks they agree).
STEPS = (
    "m001_initial",
    "m002_filter_indexes",
    "m003_cjk_side_index",
    "m004_engagement",
    "m005_raw_content_type",
    "m006_link_title_times",
)

#: ``works`` columns indexed in ``works_fts``. The list columns hold JSON arrays;
#: the tokenizer drops the brackets and quotes, so each tag name is searchable as words.
WORKS_FTS_COLUMNS = (
    "title",
    "authors",
    "summary",
    "notes",
    "end_notes",
    "fandoms",
    "relationships",
    "characters",
    "freeforms",
)

#: ``chapters`` columns indexed in ``chapters_fts``; ``text`` is last (the snippet column).
CHAPTERS_FTS_COLUMNS = ("title", "summary", "notes", "end_notes", "text")

#: Characters of the scripts written without spaces between words (Han, kana, Hangul), as
#: inclusive ranges (CJK Unified Ideographs with extension A and the supplementary planes,
#: compatibility ideographs, hiragana, katakana with its halfwidth forms and phonetic
#: extensions, Hangul syllables and jamo).
CJK_RANGES = (
    ("\u1100", "\u11ff"),
    ("\u3005", "\u3007"),
    ("\u3040", "\u30ff"),
    ("\u3130", "\u318f"),
    ("\u31f0", "\u31ff"),
    ("\u3400", "\u4dbf"),
    ("\u4e00", "\u9fff"),
    ("\uac00", "\ud7af"),
    ("\uf900", "\ufaff"),
    ("\uff66", "\uff9f"),
    ("\U00020000", "\U0003134f"),
)
