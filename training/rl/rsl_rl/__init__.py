"""RSL-RL as the RL trainer's second library (ROBO_RL_LIBRARY=rsl_rl): training/rl/rsl_rl/train.py."""
