"""The asset graph: one module per asset, named after it (``scene_images`` lives in scene_images.py),
and quality.py: the quality and uniqueness checks on assembled_videos.

The modules are imported as modules, so ``pipeline_defs.assets.<name>`` is always the module and
the asset is ``pipeline_defs.assets.<name>.<name>``.
"""

from . import (assembled_videos, captions, music, platform_posts, platform_statistics, published_uploads, quality,
               reference_media, scene_images, thumbnails, tiktok_videos, transcripts, trending_topics, video_scripts,
               video_statistics, voiceovers)

VIDEO_ASSETS = [video_scripts.video_scripts, voiceovers.voiceovers, scene_images.scene_images, captions.captions,
                music.music, assembled_videos.assembled_videos, thumbnails.thumbnails,
                published_uploads.published_uploads]
REFERENCE_ASSETS = [reference_media.reference_media, transcripts.transcripts]  # per reference (issue 14)
# TikTok and Instagram (issue 17): one asset per platform, run by publish_platforms for channels that list them
PLATFORM_ASSETS = [tiktok_videos.tiktok_videos, platform_posts.tiktok_posts, platform_posts.instagram_reels]
ALL_ASSETS = [trending_topics.trending_topics, *VIDEO_ASSETS, video_statistics.video_statistics, *REFERENCE_ASSETS,
              *PLATFORM_ASSETS, platform_statistics.platform_statistics]
QUALITY_CHECKS = quality.QUALITY_CHECKS
