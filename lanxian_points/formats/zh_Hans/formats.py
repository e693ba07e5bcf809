"""Dates as people here type them (Django reads this for zh-hans, FORMAT_MODULE_PATH): besides
2026-11-28, also 20261128, 2026/11/28, 2026.11.28 and 2026年11月28日. Django's own zh-hans formats
lack the first three; a secretary typing 20261128 should not get an error."""

DATE_INPUT_FORMATS = [
    "%Y-%m-%d",
    "%Y%m%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y年%m月%d日",
    "%Y-%m-%d %H:%M:%S",
]
