"""Sensors: trending topics and inbox narratives become videos; failed runs raise alerts."""

from .alerts import alert_on_run_failure
from .inbox import narrative_inbox_sensor
from .platform_posts import platform_posts_sensor
from .reference_clips import reference_clips_sensor
from .trending_topics import trending_topics_sensor
from .video_webhooks import video_failed_webhooks, video_webhooks_sensor

ALL_SENSORS = [trending_topics_sensor, narrative_inbox_sensor, reference_clips_sensor, alert_on_run_failure,
               video_webhooks_sensor, video_failed_webhooks, platform_posts_sensor]
