import dagster as dg

from .assets import PLATFORM_ASSETS, REFERENCE_ASSETS, VIDEO_ASSETS

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

# TikTok and Instagram for one video partition: started by platform_posts_sensor once published_uploads has
# released the video (validated, approved, within the channel's cap and window), only for channels that list them.
publish_platforms_job = dg.define_asset_job(
    "publish_platforms",
    selection=dg.AssetSelection.assets(*PLATFORM_ASSETS),
    description="The watermark-free TikTok variant, the TikTok post and the Instagram Reel of one video.",
)
