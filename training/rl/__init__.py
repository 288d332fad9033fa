"""Reinforcement learning with skrl: gymnasium tasks on any machine, Isaac Lab tasks where installed.

`python -m training rl` runs `training.rl.train.main`; see that module for the phases.
"""
