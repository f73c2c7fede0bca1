#!/usr/bin/env python3
"""Replaces one "## " section of a markdown file in place (up to the next
"## " heading), or appends it: the benchmarks that write their own section
of docs/performance.md share this.

    replace-section.py FILE SECTION_TEXT   (the text starts with its "## " heading)
"""
import re
import sys

path, section = sys.argv[1], sys.argv[2].rstrip("\n") + "\n"
heading = section.splitlines()[0]
text = open(path).read()
m = re.search("^" + re.escape(heading) + r"\n.*?(?=^## |\Z)", text, flags=re.S | re.M)
if m:
    text = text[:m.start()] + section + ("\n" if m.end() < len(text) else "") + text[m.end():]
else:
    text = text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
