"""Autonomy recommendations: the audit history and the approval memos.

The rules themselves live in dbt (marts.rpt_autonomy_recommendations); this
package keeps what happens after: every run's recommendations are appended to
``history.autonomy_recommendations`` (``history.append_history``), and each
promote or demote gets a memo a support leader can sign (``memo``).
"""

from trustloop.autonomy.history import HISTORY_TABLE, append_history
from trustloop.autonomy.memo import memo_filename, render_memo_html, render_memo_markdown, write_memos

__all__ = ["HISTORY_TABLE", "append_history", "memo_filename", "render_memo_html", "render_memo_markdown", "write_memos"]
