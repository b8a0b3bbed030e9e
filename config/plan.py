"""The site file's ``plan:`` (厂区平面图): an image of the site and where each detector and
hazard source is on it.

    plan:
      image: tank_farm_plan.svg      # SVG or PNG, relative to the site file
      width: 1000                    # the image's own coordinates (SVG viewBox, PNG pixels)
      height: 600
      positions:                     # a point's tag or a hazard source's id: [x, y]
        LT-101: [180, 240]
        HS-TF1: [260, 120]

The loader makes ``image`` absolute and checks the file is there; a position naming a tag
or source the site does not have, or lying outside the image, is an error at its line.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from config.base import Model

IMAGE_TYPES = {".svg": "image/svg+xml", ".png": "image/png"}


class Plan(Model):
    image: Path = Field(description="SVG or PNG, relative to the site file")
    width: float = Field(gt=0, description="the image's width in its own units")
    height: float = Field(gt=0, description="the image's height in its own units")
    positions: dict[str, tuple[float, float]] = Field(
        default={}, description="point tag or hazard source id: [x, y] on the image"
    )

    @field_validator("image")
    @classmethod
    def _kind(cls, image: Path) -> Path:
        if image.suffix.lower() not in IMAGE_TYPES:
            raise ValueError(f"plan image {image} must be .svg or .png")
        return image

    @property
    def media_type(self) -> str:
        return IMAGE_TYPES[self.image.suffix.lower()]


def plan_problems(plan: Plan, known: set[str]) -> list[tuple[str, str]]:
    """(position name, problem) for positions naming nothing of the site or off the image."""
    problems = []
    for name, (x, y) in plan.positions.items():
        if name not in known:
            problems.append((name, f"{name!r} is neither a point tag nor a hazard source id "
                                   "of this site"))
        elif not (0 <= x <= plan.width and 0 <= y <= plan.height):
            problems.append((name, f"[{x:g}, {y:g}] is outside the image "
                                   f"({plan.width:g} × {plan.height:g})"))
    return problems
