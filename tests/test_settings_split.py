"""core/settings.py split by concern: the `config` view (core/settings_view.py) and the URL rules
(core/settings_urls.py) keep their old import path (core/lazy.lazy_names), and building, showing and
using Settings outside `config` does not build the view's class."""

from __future__ import annotations

import subprocess
import sys


def test_the_moved_names_keep_their_path_and_only_config_builds_the_view() -> None:
    code = (
        "import sys\n"
        "from its_store.core import settings as s\n"
        "one = s.Settings(endpoint='localhost:9000', http_proxy='http://u:pw@proxy:3128', no_proxy='other')\n"
        "print(one.server_id(), repr(one).count('pw'), one.model_dump(mode='json')['http_proxy'])\n"
        "assert 'its_store.core.settings_view' not in sys.modules\n"
        "from its_store.core import settings_urls as u, settings_view as v\n"
        "assert s.SettingsView is v.SettingsView and s.webhook_origin is u.webhook_origin\n"
        "assert s.bypasses_proxy is u.bypasses_proxy and s.check_webhook_url is u.check_webhook_url\n"
        "from its_store.core.settings import SettingsView, bypasses_proxy\n"
        "print(type(one.public_view()) is SettingsView, bypasses_proxy('a.b:1', 'b'))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split("\n") == ["localhost:9000 via http://proxy:3128 0 http://u:********@proxy:3128",
                                      "True True", ""]
