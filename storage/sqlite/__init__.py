"""The SQLite backend: one file, one aiosqlite connection, numbered migrations.

`store.open_store` opens it as a `storage.protocol.Store`. Everything that knows SQL or the
driver is in this package; `db` has the connection, its lock and the migrations, and each
other module one concern of the store. `schema.sql` shows the tables the migrations add up to;
`answer_path.sql` is the one statement each that starts a response and takes an answer.
"""
