"""Reinforcement learning with skrl or RSL-RL: gymnasium tasks on any machine, Isaac Lab tasks where installed.

`python -m training rl` runs `training.rl.train.main` (skrl), or `training.rl.rsl_rl.train.main` with
ROBO_RL_LIBRARY=rsl_rl; see those modules for the phases.
"""
