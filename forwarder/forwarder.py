"""Forwards ntfy messages of one topic to a Telegram chat.

Configuration (environment): NTFY_URL, NTFY_TOPIC, NTFY_USER, NTFY_PASSWORD_FILE, TELEGRAM_CHAT_ID,
TELEGRAM_BOT_TOKEN_FILE; TELEGRAM_API_URL and HEARTBEAT_FILE have defaults (tests point them elsewhere). Credentials are read from files (Pulumi secrets uploaded into the container),
never from the environment, and never logged.
"""
import json
import os
import pathlib
import time

import requests

HEARTBEAT = pathlib.Path(os.environ.get("HEARTBEAT_FILE", "/tmp/heartbeat"))
TELEGRAM_API_URL = os.environ.get("TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/")


def read_secret(variable: str) -> str:
    return pathlib.Path(os.environ[variable]).read_text(encoding="utf-8").strip()


def beat() -> None:
    HEARTBEAT.touch()


def telegram_text(message: dict) -> str:
    title = message.get("title")
    body = message.get("message", "")
    click = message.get("click")
    parts = [f"*{title}*" if title else None, body, click]
    return "\n".join(part for part in parts if part)


def forward(session: requests.Session, token: str, chat_id: str, message: dict) -> None:
    response = session.post(
        f"{TELEGRAM_API_URL}/bot{token}/sendMessage",
        json={"chat_id": chat_id, "text": telegram_text(message), "parse_mode": "Markdown"},
        timeout=15,
    )
    if response.status_code != 200:
        # The URL holds the token: report the status only.
        print(f"telegram answered {response.status_code}", flush=True)


def run() -> None:
    ntfy_url = os.environ["NTFY_URL"].rstrip("/")
    topic = os.environ["NTFY_TOPIC"]
    user = os.environ.get("NTFY_USER", "")
    password = read_secret("NTFY_PASSWORD_FILE")
    token = read_secret("TELEGRAM_BOT_TOKEN_FILE")
    chat_id = os.environ["TELEGRAM_CHAT_ID"]
    session = requests.Session()
    auth = (user, password) if user else None
    while True:
        beat()
        try:
            # ntfy's JSON stream sends a keepalive event every 45 s, which keeps the heartbeat fresh.
            with session.get(f"{ntfy_url}/{topic}/json", auth=auth, stream=True, timeout=(10, 90)) as stream:
                stream.raise_for_status()
                for line in stream.iter_lines():
                    beat()
                    if not line:
                        continue
                    event = json.loads(line)
                    if event.get("event") == "message":
                        forward(session, token, chat_id, event)
        except (requests.RequestException, ValueError) as error:
            print(f"stream interrupted: {type(error).__name__}", flush=True)
            time.sleep(5)


if __name__ == "__main__":
    run()
