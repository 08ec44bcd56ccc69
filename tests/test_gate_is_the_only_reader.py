"""Rule 2 of the house: content is decrypted in one place only (quietroom/gate.py).

Keys are unwrapped one level lower, in `quietroom.content` (a customer key to seal with or to
hand to the gate, a second-factor seed, a master key rotation), and nowhere else.
"""
import ast
from pathlib import Path

import quietroom

PACKAGE = Path(quietroom.__file__).parent
# Each decrypting function of the vault, and the only modules that may call it.
GATE = PACKAGE / "gate.py"
ALLOWED_CALLERS = {
    "decrypt_object": {GATE},
    "open_sealed": {GATE},
    "unwrap_customer_key": {PACKAGE / "content" / "keys.py"},
    "rewrap_customer_key": {PACKAGE / "content" / "keys.py"},
    # A legal hold keeping objects of an erased customer: data keys move, content stays sealed.
    "rewrap_data_key": {PACKAGE / "content" / "held.py"},
    "unwrap": set(),
    "unwrap_account_secret": {PACKAGE / "content" / "account_secrets.py"},
}
DECRYPTING = set(ALLOWED_CALLERS)
VAULT = PACKAGE / "vault"


def calls_in(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in DECRYPTING:
                names.add(name)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("quietroom.vault"):
            names.update(alias.name for alias in node.names if alias.name in DECRYPTING)
    return names


def test_only_the_gate_calls_the_vaults_decrypt_functions():
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        if VAULT in path.parents:
            continue
        found = {name for name in calls_in(path) if path not in ALLOWED_CALLERS[name]}
        if found:
            offenders[str(path.relative_to(PACKAGE))] = sorted(found)
    assert offenders == {}


def test_the_scan_would_see_a_decrypt_call(tmp_path):
    bad = tmp_path / "sneaky.py"
    bad.write_text("from quietroom import vault\nvault.decrypt_object(b'', b'', 'x', b'')\n")
    assert calls_in(bad) == {"decrypt_object"}


def test_deid_and_vault_import_nothing_from_django_or_the_apps():
    for folder in (PACKAGE / "deid", VAULT):
        for path in folder.rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                modules = []
                if isinstance(node, ast.Import):
                    modules = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    modules = [node.module]
                for module in modules:
                    assert not module.startswith("django"), f"{path.name} imports {module}"
                    if module.startswith("quietroom."):
                        assert module.startswith(f"quietroom.{folder.name}"), f"{path.name} imports {module}"
