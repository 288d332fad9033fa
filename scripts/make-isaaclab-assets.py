"""Write local stand-ins for the two USD files Isaac-Cartpole(-Direct) loads from NVIDIA's asset server.

Isaac Lab tasks read their USD files from an S3 asset root that air-gapped clusters and CI cannot
reach. Isaac Lab honours ``ISAACSIM_ASSET_ROOT``; this script fills such a root with:

- ``Isaac/IsaacLab/Robots/Classic/Cartpole/cartpole.usd``: the cartpole articulation, rebuilt from
  the test stage that ships inside the ``isaaclab`` 3.x wheel (same bodies, joints, masses and
  shapes; not byte-identical to NVIDIA's file);
- ``Isaac/IsaacLab/Environments/Grid/default_ground_plane_checker_v1/default_ground_plane.usda``:
  a Z-up ground plane with a collision plane, which is all ``spawn_ground_plane`` needs.

Run it with the Isaac Lab environment's Python (it needs ``pxr`` and the installed wheel):

    .venv-isaaclab/bin/python scripts/make-isaaclab-assets.py [--root DIR]

then point the trainer at DIR with ``ISAACSIM_ASSET_ROOT=DIR``. The files are generated, never committed.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

CARTPOLE = Path("Isaac/IsaacLab/Robots/Classic/Cartpole/cartpole.usd")
GROUND = Path("Isaac/IsaacLab/Environments/Grid/default_ground_plane_checker_v1/default_ground_plane.usda")
# The Newton-physics variant of the shipped test stage: it holds one flattened cartpole per env.
GOLDEN_STAGE = Path("source/isaaclab_tasks/test/golden_stages/cartpole/newton-isaacsim_rtx_renderer-rgb.usda")
ROBOT_IN_STAGE = "/World/envs/env_0/Robot"
DEFAULT_ROOT = Path(__file__).resolve().parent.parent / ".cache" / "isaaclab-assets"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--root", type=Path, default=DEFAULT_ROOT, help=f"asset root to fill (default: {DEFAULT_ROOT})"
    )
    args = parser.parse_args(argv)
    try:
        golden = find_golden_stage()
    except FileNotFoundError as exc:
        print(f"make-isaaclab-assets: {exc}", file=sys.stderr)
        return 1
    write_cartpole(golden, args.root / CARTPOLE)
    write_ground_plane(args.root / GROUND)
    print(args.root)
    return 0


def find_golden_stage() -> Path:
    """The cartpole test stage inside the installed isaaclab wheel (found without importing isaaclab)."""
    spec = importlib.util.find_spec("isaaclab")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("isaaclab is not installed in this Python; use .venv-isaaclab/bin/python")
    for location in spec.submodule_search_locations:
        candidate = Path(location) / GOLDEN_STAGE
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{GOLDEN_STAGE} not found in the isaaclab package (needs isaaclab 3.x)")


def write_cartpole(golden: Path, target: Path) -> None:
    from pxr import Sdf  # lazy: pxr only exists in the Isaac Lab environment

    source = Sdf.Layer.FindOrOpen(str(golden))
    layer = _new_layer(target)
    # The robot's visuals and collisions reference these flattened prototypes inside the same layer.
    for prim in source.rootPrims:
        if prim.name.startswith("Flattened_Prototype_"):
            Sdf.CopySpec(source, prim.path, layer, prim.path)
    robot = Sdf.Path("/cartpole")
    # CopySpec retargets the joints' body relationships from the stage path to /cartpole.
    Sdf.CopySpec(source, Sdf.Path(ROBOT_IN_STAGE), layer, robot)
    # The stage bakes the spawn height in; the asset itself sits at the origin.
    layer.GetAttributeAtPath(robot.AppendProperty("xformOp:translate")).default = (0.0, 0.0, 0.0)
    layer.defaultPrim = robot.name
    layer.Save()


def write_ground_plane(target: Path) -> None:
    from pxr import Usd, UsdGeom, UsdPhysics  # lazy: pxr only exists in the Isaac Lab environment

    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    stage = Usd.Stage.CreateNew(str(target))
    UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.z)
    UsdGeom.SetStageMetersPerUnit(stage, 1.0)
    root = UsdGeom.Xform.Define(stage, "/GroundPlane")
    stage.SetDefaultPrim(root.GetPrim())
    plane = UsdGeom.Plane.Define(stage, "/GroundPlane/CollisionPlane")
    plane.CreateAxisAttr(UsdGeom.Tokens.z)
    UsdPhysics.CollisionAPI.Apply(plane.GetPrim())
    stage.GetRootLayer().Save()


def _new_layer(target: Path):
    from pxr import Sdf, UsdGeom  # lazy: pxr only exists in the Isaac Lab environment

    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)  # CreateNew refuses an existing file; regenerating must work
    layer = Sdf.Layer.CreateNew(str(target))
    layer.pseudoRoot.SetInfo(UsdGeom.Tokens.upAxis, UsdGeom.Tokens.z)
    layer.pseudoRoot.SetInfo(UsdGeom.Tokens.metersPerUnit, 1.0)
    layer.pseudoRoot.SetInfo("kilogramsPerUnit", 1.0)
    return layer


if __name__ == "__main__":
    sys.exit(main())
