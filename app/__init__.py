"""The use cases: what Doorstep does for members, organisers and operators.

Each module strings the store (`storage`) and the pure rules (`surveys`) together into the
things users ask for: take an answer, open a survey, build a report for a chat's scope,
register a chat, post a digest, export, forget, retain. No Telegram and no SQL here: the
handlers (`handlers/`), the command line and the scheduled jobs call these same functions.
"""
