"""The text the service accepts: ids, and text that can be printed on a certificate.

One definition of each pattern, used by the API's request shapes (`cme.schemas`), the
programme document (`cme.programme`) and the offline audit. The patterns are also
JSON Schema patterns in the OpenAPI document, so they keep to what ECMA-262 and Python
read alike.
"""

from __future__ import annotations

import re

ID_REGEX = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
"""Ids of events, delegates, sessions, slots, scans and views (CONTRACT.md, Conventions)."""
ID_PATTERN = re.compile(ID_REGEX)
ID_RULE = "ids match [A-Za-z0-9][A-Za-z0-9._:-]{0,63}"
"""What an id is, in words, for problems that refuse one."""

_NEVER_PRINTED = r"\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
"""Besides control characters: line and paragraph separators, and bidirectional overrides
and isolates (which could make a printed name read as another)."""

PRINTABLE_LINE = rf"^[^\x00-\x1f{_NEVER_PRINTED}]+$"
"""A name: printable, on one line (no control character at all)."""
PRINTABLE_TEXT = rf"^[^\x00-\x08\x0b-\x1f{_NEVER_PRINTED}]*$"
"""A programme's text (titles, statements): printable; a tab or a line break is fine."""
UNPRINTABLE = re.compile(rf"[\x00-\x08\x0b-\x1f{_NEVER_PRINTED}]")
"""What `PRINTABLE_TEXT` refuses, to find it in a text."""
