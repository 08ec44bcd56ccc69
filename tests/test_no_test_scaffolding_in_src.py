"""Test scaffolding lives under tests/, never in the product: no memo, switch or plugin that only
the suite uses may be shipped in src/quietroom (the suite patches from the outside instead)."""
import ast
from pathlib import Path

import quietroom

PACKAGE = Path(quietroom.__file__).parent
# Names that once lived in src/ for the suite's sake, and the marks of a test branch.
TEST_ONLY = {"MemoisedEngine", "get_memoised_engine", "DEID_ASR_MEMO", "asr_memo", "testenv",
             "outbox", "pytest", "_under_test"}


def names_in(source: str, filename: str = "<src>") -> set[str]:
    """Identifiers, attribute names, imported modules and string constants of a module."""
    found = set()
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            found.add(node.name)
        elif isinstance(node, ast.arg):
            found.add(node.arg)
        elif isinstance(node, ast.Import):
            found.update(part for alias in node.names for part in alias.name.split("."))
        elif isinstance(node, ast.ImportFrom):
            found.update((node.module or "").split("."))
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.add(node.value)
        elif isinstance(node, ast.keyword) and node.arg:
            found.add(node.arg)
    return found


def test_no_test_only_names_in_the_package():
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        hits = names_in(path.read_text(), str(path)) & TEST_ONLY
        if hits:
            offenders[str(path.relative_to(PACKAGE))] = sorted(hits)
    assert offenders == {}
    assert not (PACKAGE / "testenv.py").exists()


def test_the_scan_would_see_a_test_branch():
    source = (
        "from django.core import mail\n"
        "def handle():\n"
        "    if hasattr(mail, 'outbox'):\n"
        "        return DeidConfig(asr_memo=True)\n"
    )
    assert names_in(source) & TEST_ONLY == {"outbox", "asr_memo"}


def test_production_hashes_passwords_with_full_strength_argon2id():
    """The suite's cheap hasher (tests/hashers.py) never reaches the product's settings."""
    from django.contrib.auth.hashers import Argon2PasswordHasher

    from quietroom import settings as product_settings
    from tests.conftest import PRODUCTION_HASHERS

    assert product_settings.PASSWORD_HASHERS == PRODUCTION_HASHERS
    strong = Argon2PasswordHasher()
    assert (strong.time_cost, strong.memory_cost) >= (2, 100 * 1024)
