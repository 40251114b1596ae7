"""The pipeline's version, stored on every revision and part of every formula cache key."""

# Bump when the pipeline's output changes; `manage.py rerender` re-renders older revisions.
RENDERER_VERSION = 8  # 8: a note's \newcommand of a site macro overrides it with a warning; math delimiters left as text warned with their cause; 7: formulas proven clean in the engine keep KaTeX's own serialization (katex_clean.js); 6: search units (sections, derivations, equations), aliases that name a part; 5: summaries typeset, search fragments, task-list labels, "used by" names; 4: references to another note's equations name it; 3: page ids reserved, lengths clamped (ids.py, katex.py); 2: links keep their sentence
