"""`submit image build NAME`: build a job image of workflows/images/ (and push it), print its reference."""

from __future__ import annotations

import os

import click

from submit.output import say

EXAMPLE = """
\b
Examples:
  submit image build lerobot
  submit image build rl --push myregistry.azurecr.io      # prints myregistry.azurecr.io/robo-submit/isaaclab@sha256:...
  submit image build isaaclab3 --tag robo-submit/isaaclab3:dev --base python:3.12.12-slim-bookworm@sha256:...
\b
Put the printed reference in submit.toml (`image = "..."`) or pass it as -i/--image: OSMO pulls exactly that.
"""


@click.group("image", epilog="\b\nExamples:\n  submit image build lerobot\n  submit image build rl --push myregistry.azurecr.io")
def image() -> None:
    """Job images: build the trainer images of workflows/images/ with Docker (or Podman)."""


@image.command("build", epilog=EXAMPLE)
@click.argument("name", metavar="NAME")
@click.option("--tag", metavar="TAG", help="Tag the image TAG. [default: the tag specs name, from workflows/images/images.yaml]")
@click.option("--push", "registry", metavar="REGISTRY", help="Push it to REGISTRY (e.g. myregistry.azurecr.io) and print its digest-pinned reference.")
@click.option("--base", metavar="IMAGE", help="Build FROM IMAGE instead of the Dockerfile's pinned base (a mirror, a digest). [default: the Dockerfile's]")
def build(name: str, tag: str | None, registry: str | None, base: str | None) -> None:
    """Build the job image NAME: rl (Isaac Lab 2.3.2, Kit), isaaclab3 (kit-less Isaac Lab 3) or lerobot.

    Only the reference goes to stdout; the engine's output goes to stderr.
    """
    from submit import images  # lazy: start-up time

    built = images.build(images.check_name(name), tag=tag, base=base, push=registry, environ=os.environ)
    if built.pushed:
        say(f"pushed; image id {built.image_id}. Put this in a profile: image = \"{built.reference}\"")
    else:
        say(
            f"built {built.reference} (image id {built.image_id}); it is on this machine only: "
            "a registry digest exists once it is pushed (--push REGISTRY)"
        )
    click.echo(built.reference)
