#!/bin/sh
# Runs before dagster-daemon: explicit concurrency-pool limits (dagster.yaml holds only the default).
#   gpu: neural TTS, scene images and encoding; one step per GPU.
#   openai / elevenlabs / pexels / google-trends / youtube: provider pools, i.e. how many calls to
#   that provider may be in flight at once across every run (pipeline_defs/providers.py).
set -eu
dagster instance concurrency set gpu "${SHORTSMITH_GPU_SLOTS:-1}"
for pool in openai elevenlabs pexels google-trends youtube; do
  dagster instance concurrency set "$pool" "${SHORTSMITH_PROVIDER_SLOTS:-2}"
done
exec "$@"
