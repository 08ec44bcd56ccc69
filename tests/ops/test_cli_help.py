"""`quietroom --help` lists QuietRoom's own commands by task, each once, before Django's."""
from __future__ import annotations

import re

import pytest
from django.core.management import get_commands, load_command_class

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


def test_django_commands_are_still_reachable(monkeypatch):
    # Not run for real: Django's command runner sets Django up again, which re-binds the log
    # handlers to this test's captured output, closed once the test ends.
    import django.core.management

    ran = []
    monkeypatch.setattr(django.core.management, "execute_from_command_line", ran.append)
    cli.main(["help", "--django"])
    assert ran == [["quietroom", "help"]]


def test_every_option_of_our_commands_says_what_it_does():
    django_own = {"version", "verbosity", "settings", "pythonpath", "traceback", "no_color", "force_color",
                  "skip_checks", "help"}
    undescribed = {}
    for name, app in get_commands().items():
        if not app.startswith("quietroom"):
            continue
        parser = load_command_class(app, name).create_parser("quietroom", name)
        missing = [a.option_strings[-1] if a.option_strings else a.dest
                   for a in parser._actions if not a.help and a.dest not in django_own]
        if missing:
            undescribed[name] = missing
    assert undescribed == {}


def test_the_readme_examples_use_the_demos_locale_and_names():
    """The README's examples are run against the demo: its speech is en-US, not en-GB."""
    import shlex
    from pathlib import Path

    from quietroom.ops import demo

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    commands = [shlex.split(line) for line in readme.splitlines() if line.startswith("quietroom ")]
    assert commands
    for words in commands:
        for option, expected in (("--locale", demo.LOCALE), ("--org", demo.VENDOR), ("--site", demo.SITE)):
            if option in words:
                assert words[words.index(option) + 1] == expected, (words, option)
        parser = load_command_class(get_commands()[words[1]], words[1]).create_parser("quietroom", words[1])
        parser.parse_args(words[2:])  # every option of the example exists
