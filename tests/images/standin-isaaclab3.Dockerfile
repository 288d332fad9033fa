# Test tier only: the kit-less image plus what this machine cannot reach, at one seam. NVIDIA's asset
# server is stood in for by the generated cartpole assets (scripts/make-isaaclab-assets.py, run in the image
# itself), and Warp's CPU kernels are compiled once here, so each run of a spec starts warm (21 s, not 110).
ARG IMAGE
FROM ${IMAGE}
COPY assets /opt/robo-standin/assets
ENV ISAACSIM_ASSET_ROOT=/opt/robo-standin/assets \
    WARP_CACHE_PATH=/opt/robo-standin/warp
RUN ROBO_TASK=Isaac-Cartpole-Direct ROBO_NUM_ENVS=16 ROBO_MAX_ITERATIONS=1 ROBO_PHYSICS=newton_mjwarp \
    ROBO_DEVICE=cpu ROBO_MLFLOW=false ROBO_REGISTER=false \
    python -m training rl --output-dir /tmp/warm-up >/dev/null 2>/tmp/warm-up.log \
    || { tail -n 30 /tmp/warm-up.log; exit 1; }; rm -rf /tmp/warm-up /tmp/warm-up.log
