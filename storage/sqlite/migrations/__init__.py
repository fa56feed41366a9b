"""Numbered SQL migrations (NNNN_name.sql), applied in order at open, each in one transaction.

They change tables and indexes only; `../schema.sql` shows what they add up to. The views and
triggers of the answer path are not restated here: `../answer_path.sql` is installed after the
migrations at every open, so a migration that alters a table they read drops them first.
"""
