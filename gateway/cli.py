"""The `hazgw` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any

from config.issues import ConfigError
from config.loader import is_gateway_file
from config.redact import config_secrets
from gateway.logredact import install_log_redaction
from gateway.statedir import first_run_hint
from gateway.usercli import add_user_commands
from gateway.validation import load_gateway, load_site


def check_config(paths: Sequence[Path], out: Any = sys.stdout) -> int:
    """Validate site and gateway files; print every problem with file:line and point."""
    failed = 0
    for path in paths:
        try:
            if is_gateway_file(path):
                loaded = load_gateway(path)
                points = sum(len(site.points()) for site in loaded.sites)
                print(
                    f"OK {path}: gateway file, {len(loaded.sites)} site(s), {points} points",
                    file=out,
                )
            else:
                site = load_site(path)
                print(
                    f"OK {path}: {site.enterprise.name} ({site.enterprise.code}), "
                    f"{len(site.hazard_sources)} hazard source(s), {len(site.devices)} device(s), "
                    f"{len(site.points())} points",
                    file=out,
                )
        except ConfigError as error:
            failed += 1
            for issue in error.issues:
                print(f"ERROR {issue}", file=out)
    return 1 if failed else 0


def run_until_signalled(main: Coroutine[Any, Any, None]) -> int:
    """Run ``main``; SIGINT and SIGTERM cancel it so that it can stop everything in order."""

    async def runner() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, task.cancel)
        try:
            await main
        except asyncio.CancelledError:
            logging.getLogger("hazgw").info("stopped by signal")

    asyncio.run(runner())
    return 0


def _run(args: argparse.Namespace) -> int:
    from gateway.runtime import Gateway

    try:
        loaded = load_gateway(args.config)
    except ConfigError as error:
        for issue in error.issues:
            print(f"ERROR {issue}", file=sys.stderr)
        return 2
    install_log_redaction(config_secrets([loaded.config, loaded.sites]))
    first_run_hint(args.state_dir)
    gateway = Gateway(
        loaded.config, loaded.sites, state_dir=args.state_dir, config_path=args.config
    )
    return run_until_signalled(gateway.run())


def _demo(args: argparse.Namespace) -> int:
    if args.park:
        from gateway.park.demo import run_park_demo

        return run_until_signalled(run_park_demo(port=args.port, state_dir=args.state_dir))
    from gateway.demo import run_demo

    return run_until_signalled(
        run_demo(port=args.port, state_dir=args.state_dir, open_browser=args.open_browser)
    )


def _central(args: argparse.Namespace) -> int:
    from gateway.park.central import Central, load_central

    try:
        settings = load_central(args.config)
    except ConfigError as error:
        for issue in error.issues:
            print(f"ERROR {issue}", file=sys.stderr)
        return 2
    args.state_dir.mkdir(parents=True, exist_ok=True)
    return run_until_signalled(Central(settings, state_dir=args.state_dir).run())


def _schema(args: argparse.Namespace) -> int:
    from config.schema import export

    for path in export(args.directory):
        print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hazgw", description="重大危险源监测网关 / monitoring gateway for major hazard sources"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the gateway from a gateway file")
    run.add_argument("config", type=Path, help="gateway YAML (lists the site files)")
    run.add_argument("--state-dir", type=Path, default=Path("var"), help="alarm journal etc.")
    run.set_defaults(handler=_run)

    demo = commands.add_parser("demo", help="run a simulated plant with the gateway and dashboard")
    demo.add_argument("--port", type=int, default=8000, help="dashboard port (default 8000)")
    demo.add_argument("--state-dir", type=Path, default=None, help="default: a temporary folder")
    demo.add_argument("--open-browser", action="store_true", help="open the dashboard")
    demo.add_argument(
        "--park", action="store_true",
        help="a whole park: NATS cluster, six enterprises, two central instances, park wall",
    )
    demo.set_defaults(handler=_demo)

    central = commands.add_parser(
        "central", help="run one central instance of the park (NATS JetStream → InfluxDB)"
    )
    central.add_argument("config", type=Path, help="central YAML (docs/park.md)")
    central.add_argument("--state-dir", type=Path, default=Path("var"), help="users etc.")
    central.set_defaults(handler=_central)

    check = commands.add_parser("check-config", help="validate site and gateway files")
    check.add_argument("files", type=Path, nargs="+")
    check.set_defaults(handler=lambda args: check_config(args.files))

    schema = commands.add_parser("schema", help="export the JSON schemas of the config files")
    schema.add_argument("directory", type=Path, nargs="?", default=Path("config"))
    schema.set_defaults(handler=_schema)
    add_user_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        # Libraries that log every frame or SMTP conversation at INFO: keep their warnings.
        for name in ("mail.log", "amqtt", "transitions", "uvicorn.error"):
            logging.getLogger(name).setLevel(logging.WARNING)
        # The Modbus hub reports connection and request errors itself, once per cause;
        # pymodbus would repeat each of them every retry.
        logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    install_log_redaction()  # URL passwords; `run` adds the config's secrets
    handler = args.handler
    result: int = handler(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
