import dagster as dg

from .assets import PLATFORM_ASSETS, VIDEO_ASSETS

# Everything from the script to the upload for one video partition.
make_video_job = dg.define_asset_job(
    "make_video",
    selection=dg.AssetSelection.assets(*VIDEO_ASSETS, *PLATFORM_ASSETS),  # partitioned by video
    description="Script, voice, scenes, captions, music, assembly, thumbnail and publishing for one video.",
)

discover_trends_job = dg.define_asset_job(
    "discover_trends", selection=dg.AssetSelection.assets("trending_topics"),
    description="Score topic candidates for every channel.",
)
