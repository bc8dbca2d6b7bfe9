"""`shortsmith studio` (the web app on uvicorn) and `shortsmith studio-key create|revoke|list`."""

from __future__ import annotations

import sys


def add_parsers(sub) -> None:
    s = sub.add_parser("studio", help="the studio: watch, review and start videos in a browser; the /v1 API")
    s.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1: this machine only)")
    s.add_argument("--port", type=int, default=8000)
    k = sub.add_parser("studio-key", help="API keys for the studio's /v1 API (stored hashed)")
    k.add_argument("action", choices=["create", "revoke", "list"])
    k.add_argument("--name", default="", help="who or what uses the key (create)")
    k.add_argument("--id", dest="key_id", default="", help="the key id to revoke (from `list`)")


def banner() -> list[str]:
    """What is running, for the first lines of `make dev` and the studio."""
    from pipeline_defs import settings

    on = settings.automation_on()
    from pipeline_defs.automation import schedules, sensors

    lines = [f"automation: schedules ({len(schedules)}) and sensors ({len(sensors)}) start "
             + ("RUNNING (SHORTSMITH_AUTOMATION=on): the daemon will make and publish videos on its own"
                if on else "STOPPED (set SHORTSMITH_AUTOMATION=on, or turn them on in the UI, to automate)")]
    try:
        from dagster._core.scheduler.instigation import InstigatorStatus

        from pipeline_defs.instance import open_instance

        with open_instance() as instance:
            running = [s.instigator_name for s in instance.all_instigator_state()
                       if s.status == InstigatorStatus.RUNNING]
        if running:
            lines.append(f"turned on earlier in this instance: {', '.join(sorted(running))}")
    except Exception:
        pass
    return lines


def main_banner() -> int:
    from pipeline_defs.instance import ensure_dagster_home

    ensure_dagster_home()
    for line in banner():
        print(line)
    return 0


def run(args) -> int:
    from pipeline_defs.instance import ensure_dagster_home

    ensure_dagster_home()
    if args.command == "studio-key":
        from . import db

        if args.action == "create":
            if not args.name:
                print("error: [--name] say who uses the key, e.g. --name n8n", file=sys.stderr)
                return 2
            key_id, key = db.create_key(args.name)
            print(f"key {key_id} for {args.name} (shown once; only its hash is stored):\n{key}")
        elif args.action == "revoke":
            if not db.revoke_key(args.key_id):
                print(f"error: [--id] no active key {args.key_id!r}; see `shortsmith studio-key list`", file=sys.stderr)
                return 2
            print(f"key {args.key_id} revoked")
        else:
            for k in db.list_keys():
                print(f"{k['id']}  {k['name']:<20} created {k['created_at']}"
                      + (f"  REVOKED {k['revoked_at']}" if k["revoked_at"] else ""))
        return 0
    import uvicorn

    from .app import build_studio, create_app

    studio = build_studio()
    print(f"Shortsmith studio on http://{args.host}:{args.port} (API docs: /docs)")
    for line in banner():
        print(line)
    from .app import daemon_running

    print("dagster daemon: " + ("running" if daemon_running(studio.instance) else
                                "NOT running: runs started here stay queued until `make dev` (or the daemon) runs"))
    print(f"runs are launched through {studio.launcher.describe()}")
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print("warning: the pages are not password-protected; put an authenticating proxy in front", file=sys.stderr)
    uvicorn.run(create_app(studio), host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main_banner())
