FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY gateway gateway
COPY collectors collectors
COPY alerting alerting
COPY dashboard dashboard
COPY config config
RUN pip install --no-cache-dir .
EXPOSE 8000
CMD ["hazgw", "run", "/etc/hazgw/gateway.yaml"]
