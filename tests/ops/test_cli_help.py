"""`quietroom --help` lists QuietRoom's own commands by task, each once, before Django's."""
from __future__ import annotations

import re

import pytest
from django.core.management import get_commands

from quietroom import cli

pytestmark = pytest.mark.django_db  # loading the commands reads the settings, not the database


@pytest.mark.parametrize("argv", [[], ["--help"], ["help"]])
def test_the_overview_lists_our_commands_by_task(argv, capsys):
    cli.main(argv)
    out = capsys.readouterr().out
    assert out.splitlines()[2] == "Getting started:"
    assert "startproject" not in out and "makemessages" not in out  # Django's are one line away
    assert "quietroom help --django" in out
    listed = re.findall(r"^  (audit create-\S+|\S+)", out, flags=re.M)
    ours = {name for name, app in get_commands().items() if app.startswith("quietroom")} - {"flush"}
    assert ours <= set(listed), "a new command must be placed in cli.COMMAND_GROUPS"
    assert len(listed) == len(set(listed))


def test_django_commands_are_still_reachable(capsys):
    cli.main(["help", "--django"])
    assert "migrate" in capsys.readouterr().out
