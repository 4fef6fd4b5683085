"""Reports for people: the weekly scorecard (one offline HTML file) and its helpers.

- ``collect.collect_scorecard(con, week)`` reads the marts into a plain dict;
- ``render.render_scorecard(data)`` turns that dict into one self-contained HTML page
  (inline CSS and SVG charts, nothing fetched from anywhere, printable);
- ``scorecard.write_scorecard(out_dir, ...)`` does both for a warehouse file.
"""
