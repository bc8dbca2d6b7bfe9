#!/bin/sh
# Runs before dagster-daemon: explicit concurrency-pool limits (dagster.yaml holds only the default).
#   gpu: neural TTS, scene images and encoding; one step per GPU.
#   openai / elevenlabs / youtube: provider pools (rate limits and quotas).
set -eu
dagster instance concurrency set gpu "${SHORTSMITH_GPU_SLOTS:-1}"
for pool in openai elevenlabs youtube; do
  dagster instance concurrency set "$pool" "${SHORTSMITH_PROVIDER_SLOTS:-2}"
done
exec "$@"
