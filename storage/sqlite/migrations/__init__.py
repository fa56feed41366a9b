"""Numbered SQL migrations (NNNN_name.sql), applied in order at open, each in one transaction.

From 0007 on they change tables and indexes only; `../schema.sql` shows what they add up to.
0001 to 0006 also wrote the answer path's view and triggers; those now live in
`../answer_path.sql`, installed after the migrations at every open (only where they differ), so
a migration that alters a table they read drops them first and never restates them.
"""
