"""Forwards ntfy messages of one topic to a Telegram chat.

Standard library only (urllib, json): the image needs no pip step, so it builds offline from the pinned base
and carries no third-party package to keep patched.

Configuration (environment): NTFY_URL, NTFY_TOPIC, NTFY_USER, NTFY_PASSWORD_FILE, TELEGRAM_CHAT_ID,
TELEGRAM_BOT_TOKEN_FILE; TELEGRAM_API_URL, HEARTBEAT_FILE and RETRY_SECONDS have defaults (tests point them
elsewhere). Credentials are read from files (Pulumi secrets uploaded into the container), never from the
environment, and never logged.

Health: the heartbeat file is touched only after ntfy accepted the subscription (HTTP 200) and on every line it
streams (ntfy sends a keepalive event every 45 s). When ntfy refuses the subscription (401, 403, …) the file is
removed, so the image's healthcheck (heartbeat younger than 120 s) fails at once.
"""
import base64
import json
import os
import pathlib
import time
import urllib.error
import urllib.request

HEARTBEAT = pathlib.Path(os.environ.get("HEARTBEAT_FILE", "/tmp/heartbeat"))
TELEGRAM_API_URL = os.environ.get("TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/")
RETRY_SECONDS = float(os.environ.get("RETRY_SECONDS", "5"))
# Longer than ntfy's 45 s keepalive: a silent stream this long is dead.
READ_TIMEOUT_SECONDS = 90


def read_secret(variable: str) -> str:
    return pathlib.Path(os.environ[variable]).read_text(encoding="utf-8").strip()


def beat() -> None:
    HEARTBEAT.touch()


def unhealthy() -> None:
    HEARTBEAT.unlink(missing_ok=True)


def telegram_text(message: dict) -> str:
    title = message.get("title")
    body = message.get("message", "")
    click = message.get("click")
    parts = [f"*{title}*" if title else None, body, click]
    return "\n".join(part for part in parts if part)


def forward(token: str, chat_id: str, message: dict) -> None:
    payload = json.dumps({"chat_id": chat_id, "text": telegram_text(message), "parse_mode": "Markdown"}).encode("utf-8")
    request = urllib.request.Request(
        f"{TELEGRAM_API_URL}/bot{token}/sendMessage",
        data=payload,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            response.read()
    except urllib.error.HTTPError as error:
        # The URL holds the token: report the status only.
        print(f"telegram answered {error.code}", flush=True)
    except (urllib.error.URLError, OSError) as error:
        print(f"telegram unreachable: {type(error).__name__}", flush=True)


def subscribe(ntfy_url: str, topic: str, authorization: str | None, token: str, chat_id: str) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    request = urllib.request.Request(f"{ntfy_url}/{topic}/json", headers=headers)
    with urllib.request.urlopen(request, timeout=READ_TIMEOUT_SECONDS) as stream:
        # urlopen raised for any status but 2xx: ntfy accepted the subscription.
        beat()
        for raw in stream:
            beat()
            line = raw.strip()
            if not line:
                continue
            event = json.loads(line)
            if event.get("event") == "message":
                forward(token, chat_id, event)


def run() -> None:
    ntfy_url = os.environ["NTFY_URL"].rstrip("/")
    topic = os.environ["NTFY_TOPIC"]
    user = os.environ.get("NTFY_USER", "")
    password = read_secret("NTFY_PASSWORD_FILE")
    token = read_secret("TELEGRAM_BOT_TOKEN_FILE")
    chat_id = os.environ["TELEGRAM_CHAT_ID"]
    authorization = "Basic " + base64.b64encode(f"{user}:{password}".encode("utf-8")).decode("ascii") if user else None
    unhealthy()
    while True:
        try:
            subscribe(ntfy_url, topic, authorization, token, chat_id)
            print("stream ended", flush=True)
        except urllib.error.HTTPError as error:
            # ntfy answered and refused (e.g. 401 wrong password, 403 no read access): unhealthy now.
            unhealthy()
            print(f"ntfy refused the subscription: {error.code}", flush=True)
        except urllib.error.URLError as error:
            # Unreachable (no such host, refused, TLS): the heartbeat ages out unless the next attempt succeeds.
            print(f"ntfy unreachable: {type(error.reason).__name__}", flush=True)
        except (OSError, ValueError) as error:
            print(f"stream interrupted: {type(error).__name__}", flush=True)
        time.sleep(RETRY_SECONDS)


if __name__ == "__main__":
    run()
