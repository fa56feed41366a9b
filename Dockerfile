# Doorstep in a container: long polling, the database in the /data volume.
#   docker build -t doorstep .
#   docker run -d --name doorstep --env-file .env -v doorstep-data:/data doorstep
# See docs/operators.md ("Running as a service") for backups and the command line.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 doorstep \
    && mkdir /data && chown doorstep:doorstep /data

WORKDIR /app
# What `pip install .` builds from, then what bot.py finds beside itself at run time (the
# bundled surveys and the default privacy notice).
COPY pyproject.toml README.md LICENSE ./
COPY bot.py ./
COPY app/ app/
COPY handlers/ handlers/
COPY storage/ storage/
COPY surveys/ surveys/
COPY docs/ docs/
RUN pip install . && rm -rf build *.egg-info

USER doorstep
# The working directory holds the database and its key file (doorstep.db.key): keep it in a
# volume. Settings come from the environment (--env-file); no .env file is copied in.
WORKDIR /data
VOLUME /data
STOPSIGNAL SIGTERM
CMD ["python", "/app/bot.py", "run"]
