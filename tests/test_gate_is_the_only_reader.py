"""Rule 2 of the house: content is decrypted in one place only (quietroom/gate.py)."""
import ast
from pathlib import Path

import quietroom

PACKAGE = Path(quietroom.__file__).parent
DECRYPTING = {"decrypt_object", "open_sealed", "unwrap_customer_key", "rewrap_customer_key", "unwrap",
              "unwrap_account_secret"}
ALLOWED = {PACKAGE / "gate.py"}
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
        if path in ALLOWED or VAULT in path.parents:
            continue
        found = calls_in(path)
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
