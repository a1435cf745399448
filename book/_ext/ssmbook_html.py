"""Small fixes to the HTML that Jupyter Book 1.x writes.

* ``ssmbook.css`` (in ``book/_static``) wraps printed output at the column's edge and
  styles the tables that chapter cells print.
* sphinx-thebe's inline configuration script (``const THEBE_JS_URL = ...``) is
  added twice to every page, which is a JavaScript error ("Identifier
  'THEBE_JS_URL' has already been declared"). Keep the first copy only.
"""

from __future__ import annotations


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen = set()
    unique = []
    for js in scripts:
        # inline scripts come with filename None or "" depending on who added them
        name = getattr(js, "filename", str(js)) or ""
        key = (name, repr(sorted(getattr(js, "attributes", {}).items())))
        if key in seen:
            continue
        seen.add(key)
        unique.append(js)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    app.add_css_file("ssmbook.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
