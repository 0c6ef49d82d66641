"""A client generated from the document by openapi-python-client drives a referral from new to won over HTTP."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests import factories
from tests.api.conftest import client_for


@pytest.fixture
def generated(tmp_path: Path):  # type: ignore[no-untyped-def]
    document = tmp_path / "openapi.json"
    document.write_bytes(Client().get("/api/v1/openapi.json").content)
    tool = Path(sys.executable).parent / "openapi-python-client"
    env = {**os.environ, "PATH": f"{tool.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [str(tool), "generate", "--path", str(document), "--meta", "none", "--output-path"]
    subprocess.run([*command, str(tmp_path / "leadshare_client")], check=True, capture_output=True, env=env)
    sys.path.insert(0, str(tmp_path))
    yield lambda name: importlib.import_module(f"leadshare_client.{name}")
    sys.path.remove(str(tmp_path))
    for name in [n for n in sys.modules if n == "leadshare_client" or n.startswith("leadshare_client.")]:
        del sys.modules[name]


def test_a_generated_client_takes_a_referral_from_new_to_won_with_a_412_and_a_409(
    generated: Any, live_server: Any, transactional_db: Any
) -> None:
    profile = factories.profile()
    referral = factories.referral(profile)
    token = client_for(factories.user(profile.partner, email="crm@partner.example")).token
    models = generated("models")
    client = generated("client").AuthenticatedClient(base_url=live_server.url, token=token)
    read = generated("api.referrals.get_referral")
    interested = generated("api.referrals.mark_interested")
    accept = generated("api.referrals.accept_referral")
    win = generated("api.referrals.win_referral")

    first = read.sync_detailed(client=client, referral_id=referral.pk)
    assert (first.status_code, first.parsed.state) == (200, models.ReferralState.NEW)
    evaluating = interested.sync_detailed(client=client, referral_id=referral.pk, if_match=first.headers["ETag"])
    assert (evaluating.status_code, evaluating.parsed.state) == (200, models.ReferralState.EVALUATING)

    deal = models.AcceptIn(
        deal_value="25000.00", currency="EUR", expected_close_date=date.fromisoformat(factories.close_date(30))
    )
    stale = accept.sync_detailed(client=client, referral_id=referral.pk, body=deal, if_match=first.headers["ETag"])
    assert stale.status_code == 412
    assert stale.parsed.status == 412
    again = interested.sync_detailed(client=client, referral_id=referral.pk)
    assert again.status_code == 409
    assert (again.parsed.state, again.parsed.action) == ("evaluating", "interested")
    referral.refresh_from_db()
    assert referral.state == "evaluating"

    accepted = accept.sync_detailed(
        client=client, referral_id=referral.pk, body=deal, if_match=evaluating.headers["ETag"]
    )
    assert (accepted.status_code, accepted.parsed.state) == (200, models.ReferralState.NEGOTIATING)
    won = win.sync_detailed(
        client=client, referral_id=referral.pk, body=models.WinIn(), if_match=accepted.headers["ETag"]
    )
    assert (won.status_code, won.parsed.state) == (200, models.ReferralState.WON)
    referral.refresh_from_db()
    assert (referral.state, str(referral.deal_value)) == ("won", "25000.00")
