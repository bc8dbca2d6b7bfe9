"""The Google Trends client: pytrends under a loopback-able base URL, errors that name the setting."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from ..google_api import strip_html
from ..resilience import ProviderError, RetryPolicy, http_error
from .text import MAX_KEYWORDS

# -- Google Trends client (pytrends) -------------------------------------------------------------

GOOGLE_TRENDS_URL = "https://trends.google.com/trends"
TIMEFRAME_RE = re.compile(r"^(now (1|4)-H|now (1|7)-d|today (1|3|12)-m|today 5-y|all|"
                          r"\d{4}-\d{2}-\d{2} \d{4}-\d{2}-\d{2})$")
GEO_RE = re.compile(r"^([A-Z]{2}(-[A-Z0-9]{1,3})?)?$")
HL_RE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")


@dataclass
class GoogleTrendsData:
    keywords: list[str]
    related: dict[str, dict[str, list[dict]]]  # keyword -> {"top"/"rising": [{"query", "value"}]}
    interest: dict[str, list[float]]  # keyword -> interest over time


@functools.lru_cache(maxsize=1)
def _pytrends_class():
    import requests
    from pytrends.request import TrendReq

    class LoopbackableTrendReq(TrendReq):
        """pytrends' client with its URLs under ``base_url`` (pytrends names them as TrendReq.X constants)."""

        def __init__(self, *, base_url: str = GOOGLE_TRENDS_URL, **kwargs):
            self.base_url = base_url.rstrip("/")
            super().__init__(**kwargs)

        def GetGoogleCookie(self):  # pytrends' name
            # As pytrends does (GET the explore page, keep NID), without its proxy loop, and a refusal
            # (429 or 5xx) is an error rather than a silent cookie-less session that Google would refuse.
            response = requests.get(f"{self.base_url}/explore/?geo={self.hl[-2:]}", timeout=self.timeout,
                                    **self.requests_args)
            if response.status_code >= 400:
                from pytrends import exceptions

                if response.status_code == 429:
                    raise exceptions.TooManyRequestsError.from_response(response)
                raise exceptions.ResponseError.from_response(response)
            return dict(filter(lambda i: i[0] == "NID", response.cookies.items()))

        def _get_data(self, url, method=TrendReq.GET_METHOD, trim_chars=0, **kwargs):
            if url.startswith(GOOGLE_TRENDS_URL):
                url = self.base_url + url[len(GOOGLE_TRENDS_URL):]
            return super()._get_data(url, method, trim_chars, **kwargs)

    return LoopbackableTrendReq


@dataclass
class GoogleTrendsClient:
    hl: str = "en-US"
    tz: int = 0
    geo: str = ""
    timeframe: str = "now 7-d"
    timeout_s: float = 15.0
    max_attempts: int = 3
    requests_per_minute: int = 10
    base_url: str = GOOGLE_TRENDS_URL
    field_prefix: str = "google_trends"  # how errors name this client's settings

    PROVIDER = "google-trends"

    def validate(self) -> None:
        p = self.field_prefix
        if not HL_RE.match(self.hl):
            raise ProviderError(f"hl {self.hl!r} is not a language code", provider=self.PROVIDER, field=f"{p}.hl",
                                fix="use a language like 'en-US' or 'de-DE'")
        if not GEO_RE.match(self.geo):
            raise ProviderError(f"geo {self.geo!r} is not a region code", provider=self.PROVIDER, field=f"{p}.geo",
                                fix="use an ISO country code like 'US' or 'GB' (or 'US-CA'), or '' for worldwide")
        if not TIMEFRAME_RE.match(self.timeframe):
            raise ProviderError(f"timeframe {self.timeframe!r} is not one Google Trends accepts",
                                provider=self.PROVIDER, field=f"{p}.timeframe",
                                fix="use 'now 1-d', 'now 7-d', 'today 1-m', 'today 3-m', 'today 12-m' or "
                                    "'YYYY-MM-DD YYYY-MM-DD'")
        if self.timeout_s <= 0 or self.max_attempts < 1:
            raise ProviderError("timeout_s must be > 0 and max_attempts >= 1", provider=self.PROVIDER,
                                field=f"{p}.timeout_s", fix="e.g. timeout_s=15, max_attempts=3")

    def classify(self, exc: BaseException, keywords: Sequence[str] = ()) -> ProviderError | None:
        import requests
        from pytrends import exceptions

        p = self.PROVIDER
        if isinstance(exc, exceptions.ResponseError):
            resp = exc.response
            status = getattr(resp, "status_code", None)
            body = strip_html(getattr(resp, "text", ""))
            headers = getattr(resp, "headers", None)
            if status is not None and (status in (408, 429) or status >= 500):
                return http_error(p, status, body, headers)
            if status is not None and status < 300:  # e.g. a consent or error page instead of JSON
                return ProviderError(f"the answer was not JSON (HTTP {status}, {body[:80]!r})", provider=p,
                                     status=status, transient=True)
            return ProviderError(
                f"Google Trends refused the request (HTTP {status}: {body}) for keywords {list(keywords)} with "
                f"hl={self.hl!r} geo={self.geo!r} timeframe={self.timeframe!r}", provider=p, status=status,
                field=f"{self.field_prefix}.geo/timeframe/hl",
                fix="correct geo (an ISO country code or '' for worldwide), timeframe (e.g. 'now 7-d') or hl "
                    "(e.g. 'en-US'), or the channel's tags/niche if a keyword is the problem")
        if isinstance(exc, requests.exceptions.Timeout):
            return ProviderError(f"no answer within {self.timeout_s:g} s ({type(exc).__name__})", provider=p,
                                 transient=True)
        if isinstance(exc, requests.exceptions.ConnectionError):
            return ProviderError(f"the connection failed ({type(exc).__name__})", provider=p, transient=True)
        if isinstance(exc, (json.JSONDecodeError, requests.exceptions.JSONDecodeError)):
            return ProviderError(f"the response was not the JSON Google Trends sends ({exc.msg})", provider=p,
                                 transient=True)
        return None

    def _guarded(self, fn: Callable[[], Any]) -> Callable[[], Any]:
        def run():
            try:
                return fn()
            except (KeyError, IndexError, TypeError) as exc:  # pytrends reading an answer of the wrong shape
                raise ProviderError(f"the response was malformed (missing {exc!s:.80})", provider=self.PROVIDER,
                                    transient=True) from None
        return run

    def fetch(self, keywords: Sequence[str], *, calls) -> GoogleTrendsData:
        """Related queries (top and rising) and interest over time for up to five keywords."""
        self.validate()
        keywords = [k for k in keywords if k][:MAX_KEYWORDS]
        if not keywords:
            raise ProviderError("no keywords to look up", provider=self.PROVIDER, field="channel.tags",
                                fix="give the channel tags or a niche with content words")
        policy = RetryPolicy(max_attempts=self.max_attempts)
        cls = _pytrends_class()

        def call(fn: Callable[[], Any], operation: str):
            out = calls.call(self._guarded(fn), provider=self.PROVIDER,
                             classify=lambda e: self.classify(e, keywords), policy=policy,
                             per_minute=self.requests_per_minute)
            calls.meter.add(self.PROVIDER, operation, request=1)
            return out

        timeout = (min(5.0, self.timeout_s), self.timeout_s)
        client = call(lambda: cls(base_url=self.base_url, hl=self.hl, tz=self.tz, geo=self.geo, timeout=timeout,
                                  retries=0, backoff_factor=0), "cookie")
        call(lambda: client.build_payload(list(keywords), cat=0, timeframe=self.timeframe, geo=self.geo), "explore")
        interest: dict[str, list[float]] = {}
        try:
            frame = call(client.interest_over_time, "interest_over_time")
            if frame is not None and not frame.empty:
                interest = {k: [float(v) for v in frame[k].tolist()] for k in keywords if k in frame.columns}
        except ProviderError as exc:
            if not exc.transient:
                raise
            calls.log(f"google-trends: interest over time unavailable, related queries unweighted: {exc.message}")
        related: dict[str, dict[str, list[dict]]] = {}
        for widget in list(client.related_queries_widget_list):
            def one(w=widget):
                client.related_queries_widget_list = [w]
                return client.related_queries()
            for kw, kinds in call(one, "related_queries").items():
                related[kw] = {kind: ([] if df is None else df[["query", "value"]].to_dict("records"))
                               for kind, df in kinds.items()}
        return GoogleTrendsData(keywords=list(keywords), related=related, interest=interest)
