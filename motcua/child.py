"""Work done in a short-lived child process, for the libraries too heavy to keep loaded all day:
fpdf2 for the follow-up's letters (~26 MB with fontTools and Pillow), openpyxl for the console's
XLSX (~20 MB with Pillow). The services stay within their memory budgets (SPEC section 9); a
letter or a download is rare, and the child's start (~0.3 s) fits its own budget.

``in_a_child("motcua.followup.letters", "apology_letter", ...)`` runs that function in
``python -m motcua.child``, the arguments and the result pickled over its standard input and
output: our own data between our own processes, and only functions of ``motcua``.
"""
from __future__ import annotations

import importlib
import pickle
import subprocess
import sys


def in_a_child(module: str, name: str, *args):
    """Run ``module.name(*args)`` in a fresh ``python -m motcua.child`` and return its result, so the heavy library it
    loads is freed when the child exits. Only ``motcua.`` modules (ValueError otherwise); RuntimeError with the
    child's last stderr when it fails; gives up after 120 s."""
    if not module.startswith("motcua."):
        raise ValueError(f"not one of ours: {module}")
    r = subprocess.run([sys.executable, "-m", "motcua.child"], input=pickle.dumps((module, name, args)),
                       capture_output=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"{module}.{name} failed: {r.stderr.decode('utf-8', 'replace')[-800:]}")
    return pickle.loads(r.stdout)


if __name__ == "__main__":
    where, what, arguments = pickle.loads(sys.stdin.buffer.read())
    if not where.startswith("motcua."):
        sys.exit(f"not one of ours: {where}")
    sys.stdout.buffer.write(pickle.dumps(getattr(importlib.import_module(where), what)(*arguments)))
