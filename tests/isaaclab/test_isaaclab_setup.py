"""The pieces around a training run: the stand-in assets, and settings Isaac Lab cannot honour.

Bad settings fail before any simulation starts, with one line naming the variable.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from training.config import ConfigError, from_env

from .conftest import REPO, TASK

pytestmark = pytest.mark.isaaclab

CARTPOLE = "Isaac/IsaacLab/Robots/Classic/Cartpole/cartpole.usd"
GROUND = "Isaac/IsaacLab/Environments/Grid/default_ground_plane_checker_v1/default_ground_plane.usda"


def test_stand_in_cartpole_is_the_articulation_isaac_lab_expects(asset_root):
    from pxr import Usd, UsdPhysics  # lazy: pxr exists only in this environment

    stage = Usd.Stage.Open(str(asset_root / CARTPOLE))
    robot = stage.GetDefaultPrim()

    assert robot.GetPath() == "/cartpole"
    assert robot.HasAPI(UsdPhysics.ArticulationRootAPI)
    assert list(robot.GetAttribute("xformOp:translate").Get()) == [0, 0, 0]
    joints = {prim.GetName(): prim for prim in Usd.PrimRange(robot) if prim.IsA(UsdPhysics.Joint)}
    assert sorted(joints) == ["cart_to_pole", "root_joint", "slider_to_cart"]
    pole_joint = UsdPhysics.RevoluteJoint(joints["cart_to_pole"])
    assert [str(t) for t in pole_joint.GetBody0Rel().GetTargets()] == ["/cartpole/cart"]
    assert [str(t) for t in pole_joint.GetBody1Rel().GetTargets()] == ["/cartpole/pole"]
    masses = {
        name: UsdPhysics.MassAPI(stage.GetPrimAtPath(f"/cartpole/{name}")).GetMassAttr().Get()
        for name in ("cart", "pole")
    }
    assert masses == {"cart": 1.0, "pole": 1.0}


def test_stand_in_ground_plane_has_a_collision_plane(asset_root):
    from pxr import Usd, UsdGeom, UsdPhysics  # lazy: pxr exists only in this environment

    stage = Usd.Stage.Open(str(asset_root / GROUND))
    root = stage.GetDefaultPrim()

    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.z
    planes = [child for child in root.GetChildren() if child.GetTypeName() == "Plane"]
    assert len(planes) == 1 and planes[0].HasAPI(UsdPhysics.CollisionAPI)


def test_assets_script_regenerates_over_existing_files(asset_root):
    script = REPO / "scripts" / "make-isaaclab-assets.py"
    before = (asset_root / CARTPOLE).read_bytes()

    completed = subprocess.run(
        [sys.executable, str(script), "--root", str(asset_root)], capture_output=True, text=True
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == str(asset_root)
    assert (asset_root / CARTPOLE).read_bytes() == before


def test_unknown_physics_preset_is_refused_with_the_task_presets():
    from training.rl.isaaclab import make_isaaclab_env

    config = from_env("rl", {"ROBO_TASK": TASK, "ROBO_DEVICE": "cpu", "ROBO_PHYSICS": "newton_mjwrap"})

    with pytest.raises(ConfigError) as caught:
        make_isaaclab_env(config)
    assert str(caught.value) == (
        f"ROBO_PHYSICS: {TASK} has no preset 'newton_mjwrap'; "
        "available: isaacsim_physx, newton_kamino, newton_mjwarp, ovphysx, physx"
    )


def test_two_physics_presets_for_one_choice_are_refused():
    from training.rl.isaaclab import make_isaaclab_env

    config = from_env("rl", {"ROBO_TASK": TASK, "ROBO_DEVICE": "cpu", "ROBO_PHYSICS": "newton_mjwarp,physx"})

    with pytest.raises(ConfigError) as caught:
        make_isaaclab_env(config)
    assert str(caught.value).startswith(
        "ROBO_PHYSICS: Conflicting global presets: 'newton_mjwarp' and 'physx'"
    )


def test_misspelt_task_is_refused_with_a_suggestion():
    from training.rl.isaaclab import make_isaaclab_env

    config = from_env("rl", {"ROBO_TASK": "Isaac-Cartpole-Directt", "ROBO_DEVICE": "cpu"})

    with pytest.raises(ConfigError) as caught:
        make_isaaclab_env(config)
    assert (
        str(caught.value)
        == "ROBO_TASK: unknown task 'Isaac-Cartpole-Directt'; did you mean 'Isaac-Cartpole-Direct'?"
    )


def test_algorithm_the_task_ships_no_config_for_is_refused():
    from training.rl.isaaclab import make_isaaclab_env

    config = from_env("rl", {"ROBO_TASK": TASK, "ROBO_DEVICE": "cpu", "ROBO_ALGORITHM": "sac"})

    with pytest.raises(ConfigError) as caught:
        make_isaaclab_env(config)
    assert str(caught.value) == (
        f"ROBO_ALGORITHM: {TASK} ships no skrl sac config; pass --agent-config FILE or another --algorithm"
    )


def test_asset_root_cannot_change_after_isaac_lab_read_it():
    import isaaclab.utils.assets as assets  # reads ISAACSIM_ASSET_ROOT now, once

    from training.rl.isaaclab import set_asset_root

    set_asset_root(assets.NUCLEUS_ASSET_ROOT_DIR)  # the same root: accepted
    with pytest.raises(ConfigError) as caught:
        set_asset_root("/somewhere/else")
    assert str(caught.value) == (
        "ISAACSIM_ASSET_ROOT: Isaac Lab already read another asset root; set it before the trainer starts"
    )
