"""The `quietroom` console script: Django's manage.py with QuietRoom's settings preset.

`quietroom --data-dir DIR COMMAND ...` points the embedded default (SQLite, blobs, demo
secrets) at DIR. `quietroom demo --smoke` without --data-dir works in a fresh temporary
folder so a self-check never touches a real installation, and removes that folder (master,
signing and pseudonym keys, database, blobs) when it ends, however it ends. `quietroom` alone
(or `--help`, `help`) lists QuietRoom's own commands by task; `quietroom help --django` lists
Django's.
"""
from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile

# Signals that end a throwaway run: the folder is removed first (SIGKILL cannot be caught).
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


# QuietRoom's commands by task, in the order a newcomer meets them. Commands that run before
# Django's settings load (key creation) are described here; the others' summaries come from
# their own `help`.
COMMAND_GROUPS: list[tuple[str, list[str]]] = [
    ("Getting started", ["demo", "serve", "worker"]),
    ("People and access", ["createinvite", "createtoken", "eligibility"]),
    ("Recordings in", ["ingest", "import", "batch_status", "requeue"]),
    ("Escalation", ["escalation"]),
    ("Privacy and data out", ["privacy", "export", "trace"]),
    ("Audit log", ["audit"]),
    ("Keys", ["createmasterkey", "rotate_master_key"]),
    ("Evaluation", ["evaluate", "deid-file", "pii-scan"]),
]
BEFORE_SETTINGS = {
    "createmasterkey": "Write a new 0600 master key file (never overwrites).",
    "audit create-signing-key": "Write a new audit signing key (Ed25519).",
    "audit create-chain-key": "Write a new audit chain key (HMAC).",
}


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args in ([], ["--help"], ["-h"], ["help"]):
        _print_overview()
        return
    if args == ["help", "--django"]:
        args = ["help"]
    if "--data-dir" in args:
        i = args.index("--data-dir")
        if i + 1 >= len(args):
            sys.exit("quietroom: --data-dir needs a folder")
        os.environ["QUIETROOM_DATA_DIR"] = os.path.abspath(args[i + 1])
        del args[i:i + 2]
    if args[:1] == ["demo"] and "--smoke" in args and "QUIETROOM_DATA_DIR" not in os.environ:
        _in_throwaway_folder(args)
        return
    if args[:2] == ["audit", "create-signing-key"]:
        # Also before settings: production settings refuse to load without this key.
        _create_audit_signing_key(args[2:])
        return
    if args[:2] == ["audit", "create-chain-key"]:
        _create_audit_chain_key(args[2:])  # likewise needed before production settings load
        return
    if args[:1] == ["createmasterkey"]:
        # Runs before settings load: production settings need the key this creates.
        _create_master_key(args[1:])
        return
    _execute(args)


def _execute(args: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quietroom.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["quietroom", *args])


def _print_overview() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quietroom.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import get_commands, load_command_class

    from django.apps import apps

    try:
        if not apps.ready:  # set up once: a second set-up would reconfigure logging mid-run
            django.setup()
    except ImproperlyConfigured as exc:  # production without its secrets: still say what exists
        print(f"(settings do not load: {exc}; command summaries need them)", file=sys.stderr)
        print("\n".join(f"{title}: {', '.join(names)}" for title, names in COMMAND_GROUPS))
        return
    ours = {name: app for name, app in get_commands().items() if app.startswith("quietroom")}
    lines = ["usage: quietroom [--data-dir DIR] COMMAND [options]   (quietroom COMMAND --help for its options)", ""]
    for title, names in COMMAND_GROUPS:
        lines.append(f"{title}:")
        for name in names:
            summary = BEFORE_SETTINGS.get(name) or load_command_class(ours[name], name).help
            lines.append(f"  {name:<18} {summary.split(chr(10))[0]}")
        if title == "Audit log":
            lines += [f"  {name:<30} {text}" for name, text in BEFORE_SETTINGS.items() if name.startswith("audit ")]
        lines.append("")
    listed = {name for _, names in COMMAND_GROUPS for name in names}
    # "flush" is Django's own, overridden only to refuse (the audit log is append-only).
    if sorted(set(ours) - listed - {"flush"}):
        lines += ["Other:", *(f"  {name}" for name in sorted(set(ours) - listed - {"flush"})), ""]
    lines.append("Django's own commands (migrate, shell, ...): quietroom help --django")
    print("\n".join(lines))


_stopped_by: list[int] = []  # the stop signals received during a throwaway run


def _stop(signum, frame):
    # Unwind like Ctrl-C does, so every `finally` runs: the web server is stopped and the
    # folder removed. 128 + signal number is the shell's convention for "ended by a signal".
    # Remembered too: a handler that happens to run inside a finaliser (`__del__`, a weakref
    # callback) has its exception printed and dropped by Python, and the run would go on to
    # exit 0 as if nobody had asked it to stop (seen in CI once in a while).
    _stopped_by.append(signum)
    raise SystemExit(128 + signum)


def _in_throwaway_folder(args: list[str]) -> None:
    """Run `args` with a fresh data folder that is removed afterwards, also on failure.

    The folder holds a master key, an audit signing key, a pseudonym key and the database, so
    it must not outlive the run: an exception, Ctrl-C (KeyboardInterrupt), SIGTERM or SIGHUP
    all unwind to the `finally` below. It is also the run's TMPDIR, so temporary files of the
    run and of its web server (the demo's sample audio, a library's own scratch files such as
    onnxruntime's session file) go the same way.
    """
    # Signals are held from before the folder exists until the `try` that removes it, and
    # again during the removal, so no signal lands between the two and a second one cannot
    # cut the clean-up short.
    stoppers = {signal.SIGINT, *_STOP_SIGNALS}
    held = signal.pthread_sigmask(signal.SIG_BLOCK, stoppers)
    # A signal the caller ignores (SIGHUP under nohup) stays ignored.
    previous = {sig: signal.getsignal(sig) for sig in _STOP_SIGNALS}
    for sig, handler in previous.items():
        if handler is not signal.SIG_IGN:
            signal.signal(sig, _stop)
    _stopped_by.clear()
    folder = tempfile.mkdtemp(prefix="quietroom-smoke-")  # 0700
    try:
        os.environ["QUIETROOM_DATA_DIR"] = folder
        os.environ["TMPDIR"] = folder
        tempfile.tempdir = folder
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        _execute(args)
        if _stopped_by:  # asked to stop, but the SystemExit was swallowed (see `_stop`)
            raise SystemExit(128 + _stopped_by[0])
    finally:
        signal.pthread_sigmask(signal.SIG_BLOCK, stoppers)
        try:
            _close_database_connections()
            shutil.rmtree(folder, onerror=_report_leftover)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _report_leftover(function, path, exc_info) -> None:
    if isinstance(exc_info[1], FileNotFoundError):
        return  # gone already
    # Say so rather than fail quietly: what is left may be a key.
    print(f"quietroom: could not remove {path} ({exc_info[1]}); delete it by hand, it may hold keys",
          file=sys.stderr)


def _close_database_connections() -> None:
    """Close Django's connections (if it got that far) before their database file goes."""
    if "django.db" not in sys.modules:
        return
    from django.db import connections

    try:
        connections.close_all()
    except Exception:  # the folder is removed regardless; a broken connection changes nothing
        pass


def _create_master_key(rest: list[str]) -> None:
    from quietroom.vault import KeyProviderError, create_key_file

    if len(rest) != 1 or rest[0].startswith("-"):
        sys.exit("usage: quietroom createmasterkey PATH   (writes a new 0600 key file; never overwrites)")
    path = os.path.abspath(rest[0])
    try:
        create_key_file(path)
    except KeyProviderError as exc:
        sys.exit(f"quietroom: {exc}")
    print(f"master key written to {path}; set QUIETROOM_KEY_PROVIDER=file://{path} and back it up")


def _create_audit_signing_key(rest: list[str]) -> None:
    from quietroom.audit.notes import create_signer_file
    from quietroom.config import audit_origin

    if len(rest) != 1 or rest[0].startswith("-"):
        sys.exit("usage: quietroom audit create-signing-key PATH   (writes a new 0600 key file; never overwrites)")
    path = os.path.abspath(rest[0])
    try:
        signer = create_signer_file(path, audit_origin())
    except FileExistsError:
        sys.exit(f"quietroom: {path} exists; refusing to overwrite a signing key")
    print(f"audit signing key written to {path}; set QUIETROOM_AUDIT_SIGNING_KEY={path}")
    print(f"public key (give it to witnesses): {signer.verifier.encode()}")


def _create_audit_chain_key(rest: list[str]) -> None:
    from quietroom.audit.chain import create_key_file

    if len(rest) != 1 or rest[0].startswith("-"):
        sys.exit("usage: quietroom audit create-chain-key PATH   (writes a new 0600 key file; never overwrites)")
    path = os.path.abspath(rest[0])
    if not create_key_file(path):
        sys.exit(f"quietroom: {path} exists; refusing to overwrite the audit chain key")
    print(f"audit chain key written to {path}; set QUIETROOM_AUDIT_CHAIN_KEY={path}, keep it apart from the "
          "database, back it up with the signing key (without it the log cannot be verified)")


if __name__ == "__main__":
    main()
