"""The Dockerfile (no Docker engine here): what the image will hold, read from its
instructions. The last stage must get every package pyproject.toml installs, the npm
packages from `npm ci` (uPlot: trends fail without it), run as a non-root user with a
health check, and agree with docker-compose.yml on the state folder."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from dashboard.app import VENDOR_DIR

ROOT = Path(__file__).parents[3]


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for word, args in self.instructions if word == keyword]


def stages() -> list[Stage]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    logical = re.sub(r"\\\n\s*", " ", text)  # join continued lines
    found: list[Stage] = []
    for line in logical.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, args = line.partition(" ")
        word = word.upper()
        if word == "FROM":
            base, _, alias = args.partition(" AS ")
            found.append(Stage(alias.strip() or f"stage{len(found)}", base.strip()))
        else:
            found[-1].instructions.append((word, args.strip()))
    return found


def test_npm_ci_from_the_lock_file_in_its_own_stage() -> None:
    frontend = next(s for s in stages() if s.name == "frontend")
    copied = " ".join(frontend.all("COPY"))
    assert "dashboard/package.json" in copied and "dashboard/package-lock.json" in copied
    assert any(run.startswith("npm ci") for run in frontend.all("RUN"))
    assert (ROOT / "dashboard" / "package-lock.json").is_file()


def test_every_copied_source_exists_and_every_package_is_copied() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = {p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"][
        "include"]}
    copied: set[str] = set()
    for stage in stages():
        for args in stage.all("COPY"):
            if args.startswith("--from="):
                continue
            *sources, _ = args.split()
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
                copied.add(source.split("/")[0])
    assert packages <= copied, f"packages not in the image: {packages - copied}"
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert "dashboard/node_modules" in ignored  # from npm ci, never the build machine's
    for package in packages:
        assert package not in ignored


def test_the_runtime_stage_has_the_vendor_files_a_user_and_a_health_check() -> None:
    final = stages()[-1]
    args = {a.split("=")[0]: a.split("=", 1)[1] for a in final.all("ARG") if "=" in a}
    vendor = [a for a in final.all("COPY") if a.startswith("--from=frontend")]
    assert vendor, "the npm packages never reach the image"
    target = vendor[0].split()[-1].replace("${SITE_PACKAGES}", args["SITE_PACKAGES"])
    # Where the installed app looks for them (dashboard/app.py VENDOR_DIR).
    assert target == f"{args['SITE_PACKAGES']}/dashboard/{VENDOR_DIR.name}"
    users = final.all("USER")
    assert users and users[-1] not in {"root", "0"}
    assert any("useradd" in run for run in final.all("RUN"))
    health = final.all("HEALTHCHECK")
    assert health and "CMD" in health[0] and "127.0.0.1:8000" in health[0]
    assert final.all("CMD")[-1].count("--state-dir") == 1


def test_compose_mounts_the_state_folder_the_image_prepares() -> None:
    final = stages()[-1]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    hazgw = compose["services"]["hazgw"]
    state = hazgw["command"][hazgw["command"].index("--state-dir") + 1]
    assert f"hazgw-state:{state}" in hazgw["volumes"]
    assert any(state in run and "chmod 700" in run for run in final.all("RUN"))
