# Test tier only: the LeRobot image plus what this machine cannot reach, at one seam. The Hugging Face Hub
# is stood in for by the tiny dataset (scripts/make-tiny-lerobot-dataset.py, written in the image itself)
# in the image's dataset cache, HF_LEROBOT_HOME/<repo id>, and the Hub switched off.
ARG IMAGE
FROM ${IMAGE}
COPY lerobot /workspace/lerobot
ENV HF_HUB_OFFLINE=1
