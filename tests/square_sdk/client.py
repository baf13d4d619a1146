"""Square's own SDKs, run in their virtualenv (.venv-square: their pins are not the project's),
pointed at a server of ours on loopback."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SQUARE_VENV = ROOT / ".venv-square"
SQUARE_PYTHON = SQUARE_VENV / "bin" / "python"
SCRIPT = Path(__file__).with_name("sdk_calls.py")


def square_sdk(base_url: str, token: str, calls: list[dict], sdk: str = "modern") -> list[dict]:
    """Each call's result as tests/square_sdk/sdk_calls.py reports it."""
    request = {"base_url": base_url, "token": token, "sdk": sdk, "calls": calls}
    done = subprocess.run([str(SQUARE_PYTHON), str(SCRIPT)], input=json.dumps(request),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def square_webhook_check(signature_key: str, notification_url: str,
                         notifications: list[dict]) -> list[dict]:
    """Each notification ({"body", "signature"}) as a Square app sees it, per
    tests/square_sdk/webhook_check.py: whether Square's verify_signature accepts it, and the body
    as the SDK's InventoryCountUpdatedEvent."""
    request = {"signature_key": signature_key, "notification_url": notification_url,
               "notifications": notifications}
    done = subprocess.run([str(SQUARE_PYTHON), str(SCRIPT.with_name("webhook_check.py"))],
                          input=json.dumps(request), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
