"""Organisers' rooms: access, registration, reports, digests and milestones, administration.

Every figure comes from the use cases in `app.reports` (suppressed in `surveys.summary`);
these modules parse commands and buttons, check access (`access`), and post (`posting`).
"""
