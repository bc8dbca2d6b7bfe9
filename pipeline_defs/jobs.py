import dagster as dg

from .assets import REFERENCE_ASSETS, VIDEO_ASSETS

# Everything from the script to the upload for one video partition.
make_video_job = dg.define_asset_job(
    "make_video",
    selection=dg.AssetSelection.assets(*VIDEO_ASSETS),  # partitioned by video: inferred from the assets
    description="Script, voice, scenes, captions, music, assembly, thumbnail and publishing for one video.",
)

discover_trends_job = dg.define_asset_job(
    "discover_trends", selection=dg.AssetSelection.assets("trending_topics"),
    description="Score topic candidates for every channel.",
)

# A reference (URL, s3:// object, local file): fetched into the store, then transcribed (issue 14).
reference_job = dg.define_asset_job(
    "reference_intake", selection=dg.AssetSelection.assets(*REFERENCE_ASSETS),
    description="Fetch a reference video or audio safely into the media store and transcribe it.",
)
