"""A loopback stand-in for the Google Trends endpoints that ``pytrends.request.TrendReq`` calls.

The paths, query parameters and response shapes are Google's:

- ``GET /trends/explore/?geo=US`` (the page pytrends opens first): HTML with a ``Set-Cookie: NID=...``.
  Every API call must send that cookie back; without it the API answers 429, as Google does.
  (Google scopes the cookie to ``.google.com``; here it has no Domain attribute, else the cookie
  jar would refuse it for 127.0.0.1.)
- ``POST /trends/api/explore?hl&tz&req=<json>``: ``)]}'`` then ``{"widgets": [...]}``: a
  ``TIMESERIES`` widget and, per keyword, ``RELATED_TOPICS``/``RELATED_QUERIES`` widgets, each with a
  ``request`` and a ``token`` that the widget-data calls must echo.
- ``GET /trends/api/widgetdata/multiline?req&token&tz``: ``)]}',`` then
  ``{"default": {"timelineData": [{"time", "formattedTime", "value": [..per keyword..], "hasData", ...}]}}``.
- ``GET /trends/api/widgetdata/relatedsearches?req&token&tz``: ``)]}',`` then
  ``{"default": {"rankedList": [{"rankedKeyword": [top...]}, {"rankedKeyword": [rising...]}]}}``.

A request Google would refuse gets Google's status: a bad ``req`` JSON or an unknown ``geo``/
``time`` is a 400, a token that does not belong to the ``req`` it comes with is a 401.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from urllib.parse import quote

from .server import Fault, Reply, Request, StandIn

XSSI_EXPLORE = ")]}'\n"  # pytrends trims 4 characters from the explore answer
XSSI_WIDGET = ")]}',\n"  # and 5 from widget data
JSON_TYPE = "application/json; charset=utf-8"
TIMEFRAME_RE = re.compile(r"^(now [147]-[Hd]|now 1-H|today (1|3|12)-m|today 5-y|all|"
                          r"\d{4}-\d{2}-\d{2} \d{4}-\d{2}-\d{2})$")
GEO_RE = re.compile(r"^([A-Z]{2}(-[A-Z0-9]{1,3})?)?$")

DEFAULT_RELATED = {
    "top": [("science fair projects", 100), ("science news", 64), ("science experiments", 41)],
    "rising": [("why cats purr science", 4450), ("octopus color change", 850), ("science olympiad 2025", 120)],
}


class GoogleTrendsStandIn(StandIn):
    """``related`` maps a keyword to {"top": [(query, value)], "rising": [(query, value)]};
    ``interest`` maps a keyword to its interest-over-time series (0-100)."""

    def __init__(self, related: dict[str, dict[str, list[tuple[str, int]]]] | None = None,
                 interest: dict[str, list[int]] | None = None, *, require_cookie: bool = True):
        super().__init__()
        self.related = related or {}
        self.interest = interest or {}
        self.require_cookie = require_cookie
        self.nid = "511=" + secrets.token_urlsafe(24)
        self._tokens: dict[str, dict] = {}  # token -> the widget request it was issued for

    # -- errors --------------------------------------------------------------------
    def error_reply(self, status: int, fault: Fault) -> Reply:
        # Google answers API errors with an HTML page, not JSON.
        body = fault.body if fault.body is not None else (
            f"<!DOCTYPE html><html><title>Error {status}</title><body>Error {status} (stand-in)</body></html>")
        return Reply(status, body, {"Content-Type": "text/html; charset=UTF-8"})

    @staticmethod
    def _html_error(status: int, text: str) -> Reply:
        return Reply(status, f"<!DOCTYPE html><html><title>Error {status}</title><body>{text}</body></html>",
                     {"Content-Type": "text/html; charset=UTF-8"})

    # -- routes --------------------------------------------------------------------
    def route(self, req: Request) -> Reply | None:
        if req.method == "GET" and req.path in ("/trends/explore", "/trends/explore/"):
            return Reply(200, "<!doctype html><html><head><title>Google Trends</title></head><body></body></html>",
                         {"Content-Type": "text/html; charset=utf-8",
                          "Set-Cookie": f"NID={self.nid}; expires=Wed, 01-Jan-2031 00:00:00 GMT; path=/; HttpOnly"})
        if not req.path.startswith("/trends/api/"):
            return self._html_error(404, f"The requested URL {req.path} was not found on this server.")
        if self.require_cookie and f"NID={self.nid}" not in req.headers.get("cookie", ""):
            return self._html_error(429, "Our systems have detected unusual traffic (no NID cookie).")
        if req.method == "POST" and req.path == "/trends/api/explore":
            return self._explore(req)
        if req.method == "GET" and req.path == "/trends/api/widgetdata/multiline":
            return self._widget(req, "TIMESERIES", self._multiline)
        if req.method == "GET" and req.path == "/trends/api/widgetdata/relatedsearches":
            return self._widget(req, "RELATED", self._related)
        return self._html_error(404, f"The requested URL {req.path} was not found on this server.")

    def _param(self, req: Request, name: str) -> str | None:
        values = req.query.get(name)
        return values[0] if values else None

    def _explore(self, req: Request) -> Reply:
        hl, tz, raw = self._param(req, "hl"), self._param(req, "tz"), self._param(req, "req")
        try:
            payload = json.loads(raw or "")
            items = payload["comparisonItem"]
            assert isinstance(items, list) and 1 <= len(items) <= 5
        except (ValueError, KeyError, TypeError, AssertionError):
            return self._html_error(400, "Bad request: req")
        if not hl or tz is None:
            return self._html_error(400, "Bad request: hl/tz")
        for item in items:
            if not GEO_RE.match(str(item.get("geo", ""))) or not TIMEFRAME_RE.match(str(item.get("time", ""))):
                return self._html_error(400, f"Bad request: geo={item.get('geo')!r} time={item.get('time')!r}")
        keywords = [str(i["keyword"]) for i in items]
        geo = items[0].get("geo", "")
        timeframe = items[0].get("time", "")
        category = payload.get("category", 0)
        prop = payload.get("property", "")
        widgets = [self._issue({
            "id": "TIMESERIES", "type": "fe_line_chart", "title": "Interest over time",
            "template": "fe", "embedTemplate": "fe_embed", "version": "1", "isLong": True, "isCurated": False,
            "lineAnnotationText": "Search interest", "bullets": [{"text": k} for k in keywords],
            "showLegend": False, "resolution": "HOUR",
            "request": {"time": timeframe, "resolution": "HOUR", "locale": hl,
                        "comparisonItem": [{"geo": {"country": geo} if geo else {},
                                            "complexKeywordsRestriction": {"keyword": [{"type": "BROAD",
                                                                                        "value": k}]}}
                                           for k in keywords],
                        "requestOptions": {"property": prop, "backend": "CM", "category": category},
                        "userConfig": {"userType": "USER_TYPE_LEGIT_USER"}},
        })]
        suffix = len(keywords) > 1
        for i, kw in enumerate(keywords):
            for kind, keyword_type in (("RELATED_TOPICS", "ENTITY"), ("RELATED_QUERIES", "QUERY")):
                widgets.append(self._issue({
                    "id": f"{kind}_{i}" if suffix else kind, "type": "fe_related_searches",
                    "title": "Related topics" if keyword_type == "ENTITY" else "Related queries",
                    "template": "fe", "embedTemplate": "fe_embed", "version": "1", "isLong": False,
                    "isCurated": False,
                    "request": {"restriction": {"geo": {"country": geo} if geo else {}, "time": timeframe,
                                                "originalTimeRangeForExploreUrl": timeframe,
                                                "complexKeywordsRestriction": {"keyword": [{"type": "BROAD",
                                                                                            "value": kw}]}},
                                "keywordType": keyword_type, "metric": ["TOP", "RISING"],
                                "trendinessSettings": {"compareTime": timeframe},
                                "requestOptions": {"property": prop, "backend": "CM", "category": category},
                                "language": hl.split("-")[0], "userCountryCode": geo[:2] or "US",
                                "userConfig": {"userType": "USER_TYPE_LEGIT_USER"}},
                }))
        body = XSSI_EXPLORE + json.dumps({"widgets": widgets, "keywords": [
            {"keyword": k, "name": k, "type": "Search term"} for k in keywords], "timeRanges": [timeframe],
            "examples": [], "shareText": "Explore search interest", "shouldShowMultiHeatMapMessage": False})
        return Reply(200, body, {"Content-Type": JSON_TYPE})

    def _issue(self, widget: dict) -> dict:
        token = "APP6_UEAAAAA" + hashlib.sha1(json.dumps(widget["request"], sort_keys=True).encode()
                                              + self.nid.encode()).hexdigest()[:24]
        self._tokens[token] = widget["request"]
        widget["token"] = token
        return widget

    def _widget(self, req: Request, kind: str, answer) -> Reply:
        token, raw, tz = self._param(req, "token"), self._param(req, "req"), self._param(req, "tz")
        try:
            request = json.loads(raw or "")
        except ValueError:
            return self._html_error(400, "Bad request: req")
        if tz is None:
            return self._html_error(400, "Bad request: tz")
        if token not in self._tokens or self._tokens[token] != request:
            return self._html_error(401, "Unauthorized: the token does not match the request")
        return Reply(200, XSSI_WIDGET + json.dumps(answer(request)), {"Content-Type": JSON_TYPE})

    def _multiline(self, request: dict) -> dict:
        keywords = [c["complexKeywordsRestriction"]["keyword"][0]["value"] for c in request["comparisonItem"]]
        series = [self.interest.get(k) or [50] * 8 for k in keywords]
        n = max(len(s) for s in series)
        start = int(time.time()) // 3600 * 3600 - (n - 1) * 3600
        rows = []
        for i in range(n):
            values = [int(s[i]) if i < len(s) else 0 for s in series]
            t = start + i * 3600
            row = {"time": str(t), "formattedTime": time.strftime("%b %d, %Y at %I:%M %p", time.gmtime(t)),
                   "formattedAxisTime": time.strftime("%b %d at %I:%M %p", time.gmtime(t)),
                   "value": values, "hasData": [v > 0 for v in values], "formattedValue": [str(v) for v in values]}
            if i == n - 1:
                row["isPartial"] = True
            rows.append(row)
        return {"default": {"timelineData": rows, "averages": []}}

    def _related(self, request: dict) -> dict:
        kw = request["restriction"]["complexKeywordsRestriction"]["keyword"][0]["value"]
        if request.get("keywordType") == "ENTITY":
            return {"default": {"rankedList": [{"rankedKeyword": []}, {"rankedKeyword": []}]}}
        data = self.related.get(kw, DEFAULT_RELATED if not self.related else {"top": [], "rising": []})
        timeframe = request["restriction"].get("time", "now 7-d")

        def entry(query: str, value: int, rising: bool) -> dict:
            formatted = ("Breakout" if value >= 5000 else f"+{value:,}%") if rising else str(value)
            return {"query": query, "value": value, "formattedValue": formatted, "hasData": True,
                    "link": f"/trends/explore?q={quote(query)}&date={quote(timeframe)}"}

        return {"default": {"rankedList": [
            {"rankedKeyword": [entry(q, v, False) for q, v in data.get("top", [])]},
            {"rankedKeyword": [entry(q, v, True) for q, v in data.get("rising", [])]},
        ]}}
