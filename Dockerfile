# The gateway image, in three stages: the front-end packages (npm ci from the lock file),
# the Python wheel, and a slim runtime that runs as an unprivileged user.
# tests/gateway/deploy/test_dockerfile.py checks the files this image gets from here.

FROM node:20-slim AS frontend
WORKDIR /build/dashboard
COPY dashboard/package.json dashboard/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.11-slim AS wheel
WORKDIR /build
COPY pyproject.toml README.md ./
COPY config config
COPY collectors collectors
COPY alerting alerting
COPY dashboard dashboard
COPY gateway gateway
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ARG SITE_PACKAGES=/usr/local/lib/python3.11/site-packages
COPY --from=wheel /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
# uPlot and the other npm packages, served under /vendor (dashboard/node_modules).
COPY --from=frontend /build/dashboard/node_modules ${SITE_PACKAGES}/dashboard/node_modules
# The state folder (users, sessions, audit log, alarm journal) belongs to the gateway's own
# user and nobody else; the process never runs as root.
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/hazgw --shell /usr/sbin/nologin hazgw \
    && mkdir -p /var/lib/hazgw /etc/hazgw \
    && chown hazgw:hazgw /var/lib/hazgw && chmod 700 /var/lib/hazgw
USER hazgw
WORKDIR /var/lib/hazgw
EXPOSE 8000
# The sign-in page answers without a session: the web server and the app are up.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/login', timeout=4)"]
CMD ["hazgw", "run", "/etc/hazgw/gateway.yaml", "--state-dir", "/var/lib/hazgw"]
