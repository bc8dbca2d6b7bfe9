"""The YouTube Data API client for trends: search.list and videos.list with an API key, quota-aware."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Sequence

from ..config import Channel
from ..google_api import QUOTA_REASONS, RATE_REASONS, parse_error, youtube_discovery
from ..resilience import ProviderError, ProviderUnavailable, RetryPolicy, http_error, scrub
from ..youtube_quota import seconds_to_quota_reset

# -- YouTube Data API client (google-api-python-client) ------------------------------------------

YOUTUBE_ROOT_URL = "https://youtube.googleapis.com/"
QUOTA_UNITS = {"search.list": 100, "videos.list": 1}
QUOTA_RESET_MARGIN_S = 300.0  # the reset is not to the second
KEY_REASONS = {"keyInvalid", "API_KEY_INVALID", "keyExpired", "API_KEY_EXPIRED"}
ACCESS_REASONS = {"accessNotConfigured", "SERVICE_DISABLED", "ipRefererBlocked", "API_KEY_SERVICE_BLOCKED",
                  "API_KEY_IP_ADDRESS_BLOCKED", "API_KEY_HTTP_REFERRER_BLOCKED", "forbidden", "PERMISSION_DENIED"}


class RequestsHttp:
    """The ``httplib2.Http`` interface googleapiclient calls, over ``requests``: exactly one attempt.

    httplib2 silently sends a request again after a dropped connection; for search.list that is
    another 100 quota units the cost meter never sees. Here the only retry loop is the caller's.
    """

    def __init__(self, timeout_s: float):
        import requests

        self.session = requests.Session()
        self.timeout = (min(5.0, timeout_s), timeout_s)

    def request(self, uri, method="GET", body=None, headers=None, redirections=5, connection_type=None):
        import httplib2

        r = self.session.request(method, uri, data=body, headers=headers, timeout=self.timeout,
                                 allow_redirects=redirections > 0)
        info = {k.lower(): v for k, v in r.headers.items()}
        info["status"] = str(r.status_code)
        resp = httplib2.Response(info)
        resp.reason = r.reason or ""
        return resp, r.content

    def close(self) -> None:
        self.session.close()


class _RedactKey(logging.Filter):
    """googleapiclient and urllib3 log request URLs at DEBUG level, and the API key is a URL parameter."""

    PATTERN = re.compile(r"([?&](?:key|access_token)=)[^&\s\"']+")

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a broken record is left as it is
            return True
        if "key=" in text or "access_token=" in text:
            record.msg, record.args = self.PATTERN.sub(r"\1***", text), ()
        return True


_REDACT = _RedactKey()
LIBRARY_LOGGERS = ("googleapiclient.discovery", "googleapiclient.http", "googleapiclient.model",
                   "urllib3.connectionpool")


def redact_key_in_library_logs() -> None:
    for name in LIBRARY_LOGGERS:
        lg = logging.getLogger(name)
        if _REDACT not in lg.filters:
            lg.addFilter(_REDACT)


@dataclass
class YouTubeData:
    search: list[dict]
    videos: list[dict]
    popular: list[dict]
    units: int


@dataclass
class YouTubeClient:
    api_key: str
    region_code: str = "US"
    root_url: str | None = None
    timeout_s: float = 15.0
    max_attempts: int = 3
    requests_per_minute: int = 30
    max_results: int = 25
    key_env: str = "YOUTUBE_API_KEY"
    field_prefix: str = "youtube_trends"

    PROVIDER = "youtube"

    def service(self):
        redact_key_in_library_logs()

        from googleapiclient.discovery import build_from_document

        return build_from_document(youtube_discovery(self.root_url), developerKey=self.api_key,
                                   http=RequestsHttp(self.timeout_s))

    def _fields(self, channel: Channel) -> dict[str, str]:
        where = f"channels[{channel.name}]"
        return {"regionCode": f"{self.field_prefix}.region_code", "videoCategoryId": f"{where}.category_id",
                "q": f"{where}.tags", "relevanceLanguage": f"{where}.language",
                "maxResults": f"{self.field_prefix}.max_results", "key": self.key_env}

    def classify(self, exc: BaseException, channel: Channel, operation: str) -> ProviderError | None:
        import requests
        from googleapiclient.errors import HttpError

        p = self.PROVIDER
        if isinstance(exc, HttpError):
            status = int(exc.resp.status)
            reason, message, location = parse_error(exc.content)
            message = scrub(message, [self.api_key])  # an echoed key never reaches a message
            what = f"{operation} HTTP {status}" + (f" {reason}" if reason else "") + f": {message}"
            if reason in QUOTA_REASONS:
                # Not worth retrying within this call (Retry-After is far past the policy's limit), but
                # transient: the merge carries on with the other sources and the offline topics.
                wait = seconds_to_quota_reset()
                return ProviderError(f"{what} (the daily quota resets at midnight Pacific time, in {wait / 3600:.1f} h)",
                                     provider=p, status=status, retry_after=wait + QUOTA_RESET_MARGIN_S,
                                     transient=True,
                                     fix="wait for the reset, spend fewer units (search.list costs 100) or ask "
                                         "Google for more quota")
            if reason in RATE_REASONS or status == 429 or status >= 500 or status == 408:
                err = http_error(p, status, message, exc.resp)
                return ProviderError(what, provider=p, status=status, retry_after=err.retry_after, transient=True)
            if reason in KEY_REASONS or "api key not valid" in message.lower():
                return ProviderError(f"{what} (the API key was refused)", provider=p, status=status,
                                     field=self.key_env,
                                     fix=f"set {self.key_env} to a valid API key (Google Cloud console > APIs & "
                                         "Services > Credentials) from a project with the YouTube Data API v3 enabled")
            if reason in ACCESS_REASONS or status in (401, 403):
                return ProviderError(f"{what} (the key may not use this API)", provider=p, status=status,
                                     field=self.key_env,
                                     fix="enable the YouTube Data API v3 in the key's Google Cloud project and allow "
                                         "it in the key's API restrictions (and IP/referrer restrictions)")
            fields = self._fields(channel)
            field_name = fields.get(location)
            if field_name is None and reason in ("videoChartNotFound", "invalidCategoryId"):
                field_name = fields["videoCategoryId"]
            if field_name is None and "region" in reason.lower():
                field_name = fields["regionCode"]
            return ProviderError(f"YouTube rejected {what}", provider=p, status=status,
                                 field=field_name or f"{self.field_prefix}",
                                 fix=f"correct {field_name or 'the request settings'}"
                                     + (f" (the API named parameter '{location}')" if location else ""))
        if isinstance(exc, (requests.exceptions.Timeout, TimeoutError)):
            return ProviderError(f"{operation}: no answer within {self.timeout_s:g} s", provider=p, transient=True)
        if isinstance(exc, (requests.exceptions.ConnectionError, ConnectionError)):
            return ProviderError(f"{operation}: the connection failed ({type(exc).__name__})", provider=p,
                                 transient=True)
        if isinstance(exc, (json.JSONDecodeError, UnicodeDecodeError)):
            return ProviderError(f"{operation}: the response was not JSON", provider=p, transient=True)
        return None

    def fetch(self, channel: Channel, keywords: Sequence[str], *, published_after: datetime, calls) -> YouTubeData:
        if not self.api_key:
            raise ProviderUnavailable("no API key", provider=self.PROVIDER, fix=f"set {self.key_env}")
        if self.region_code and not re.match(r"^[A-Z]{2}$", self.region_code):
            raise ProviderError(f"region_code {self.region_code!r} is not an ISO 3166-1 alpha-2 code",
                                provider=self.PROVIDER, field=f"{self.field_prefix}.region_code",
                                fix="use a country code like 'US', 'GB' or 'DE'")
        if not keywords:
            raise ProviderError("no keywords to search for", provider=self.PROVIDER, field=f"channels[{channel.name}].tags",
                                fix="give the channel tags or a niche with content words")
        yt = self.service()
        policy = RetryPolicy(max_attempts=self.max_attempts)
        units = 0

        def call(request_fn: Callable[[], Any], operation: str, *, allow: Callable[[Any], Any] | None = None):
            nonlocal units

            def attempt():
                try:
                    with calls.spend(self.PROVIDER, operation):  # the project's quota ledger, when there is one
                        answer = request_fn().execute(num_retries=0)
                except Exception as exc:  # a known "no data" answer, else classified
                    if allow is not None:
                        fallback = allow(exc)
                        if fallback is not None:
                            return fallback
                    raise
                if not isinstance(answer, dict) or not isinstance(answer.get("items", []), list):
                    # googleapiclient hands back the raw text when a 2xx body is not JSON
                    raise ProviderError(f"{operation}: the response was not JSON", provider=self.PROVIDER,
                                        transient=True)
                return answer

            out = calls.call(attempt, provider=self.PROVIDER, classify=lambda e: self.classify(e, channel, operation),
                             policy=policy, per_minute=self.requests_per_minute, secrets=[self.api_key])
            calls.meter.add(self.PROVIDER, operation, unit=QUOTA_UNITS[operation])
            units += QUOTA_UNITS[operation]
            return out

        after = published_after.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        search_args = dict(part="snippet", type="video", order="viewCount", q="|".join(keywords),
                           publishedAfter=after, maxResults=self.max_results, videoDuration="short",
                           relevanceLanguage=channel.language, safeSearch="moderate")
        if self.region_code:
            search_args["regionCode"] = self.region_code
        search = call(lambda: yt.search().list(**search_args), "search.list")
        items = [i for i in (search or {}).get("items") or [] if isinstance(i, dict)]
        ids = [i["id"]["videoId"] for i in items if isinstance(i.get("id"), dict) and i["id"].get("videoId")]
        videos: list[dict] = []
        if ids:
            answer = call(lambda: yt.videos().list(part="snippet,statistics", id=",".join(ids[:50])), "videos.list")
            videos = [v for v in (answer or {}).get("items") or [] if isinstance(v, dict)]

        def no_chart(exc: BaseException):
            from googleapiclient.errors import HttpError

            if isinstance(exc, HttpError) and parse_error(exc.content).reason == "videoChartNotFound":
                calls.log(f"youtube: no mostPopular chart for category {channel.category_id} in "
                          f"{self.region_code or 'the default region'}; using search results only")
                return {"items": []}
            return None

        popular_args = dict(part="snippet,statistics", chart="mostPopular", videoCategoryId=channel.category_id,
                            maxResults=self.max_results)
        if self.region_code:
            popular_args["regionCode"] = self.region_code
        popular = call(lambda: yt.videos().list(**popular_args), "videos.list", allow=no_chart)
        return YouTubeData(search=items, videos=videos,
                           popular=[v for v in (popular or {}).get("items") or [] if isinstance(v, dict)], units=units)
