"""Where handlers find the application's services: `bot.py` puts one `app.services.Services`
in `bot_data` under SERVICES_KEY."""

from __future__ import annotations

from telegram.ext import ContextTypes

from app.services import Services

SERVICES_KEY = "doorstep"


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The shared services of the running Application."""
    service: Services = context.bot_data[SERVICES_KEY]
    return service
