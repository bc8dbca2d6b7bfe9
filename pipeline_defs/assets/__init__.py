from .captions import captions
from .music import music
from .publishing import published_uploads
from .quality import QUALITY_CHECKS
from .scenes import scene_images
from .scripts import video_scripts
from .statistics import video_statistics
from .thumbnails import thumbnails
from .trends import trending_topics
from .videos import assembled_videos
from .voiceovers import voiceovers

VIDEO_ASSETS = [video_scripts, voiceovers, scene_images, captions, music, assembled_videos, thumbnails,
                published_uploads]
ALL_ASSETS = [trending_topics, *VIDEO_ASSETS, video_statistics]
