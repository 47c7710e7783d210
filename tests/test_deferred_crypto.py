"""minio.crypto loaded on first use (its_store/s3/deferred.py) stays minio.crypto for a library user.

In a fresh interpreter (the test process imported minio long ago): its_store first, then minio.crypto.
- While minio's crypto.py is still running in the module (held at its first import, argon2, by a finder of
  this test that waits for the main thread), the module still answers a name it does not have yet by
  loading (waiting for) the code, not AttributeError: 16 threads first-touching encrypt and DecryptReader at
  once all get minio's own;
- a forwarding function pickles by reference before the load, and is minio's own after it.
"""

from __future__ import annotations

import os
import subprocess
import sys

CODE = r'''
import pickle, sys, threading
import its_store.s3  # installs the deferred finder
import minio.crypto as mc
assert "argon2" not in sys.modules

inside, go = threading.Event(), threading.Event()
class Hold:
    """Holds the first import crypto.py makes (argon2) until the main thread has looked at the module."""
    def find_spec(self, name, path=None, target=None):
        if name == "argon2":
            sys.meta_path.remove(self)
            inside.set()
            assert go.wait(120)
        return None
sys.meta_path.insert(0, Hold())
assert pickle.loads(pickle.dumps(mc.encrypt)) is mc.encrypt  # by reference, before the load
first = threading.Thread(target=mc.encrypt, args=(b"x", "secret-secret"))
first.start()
assert inside.wait(120)
still_answers = "__getattr__" in vars(mc)  # a name not defined yet is loaded (waited for), not missing
go.set()
first.join()

errors = []
barrier = threading.Barrier(16)
def touch(i):
    barrier.wait()
    try:
        got = mc.encrypt(b"y" * 10, "secret-secret") if i % 2 else mc.DecryptReader
        assert got
    except Exception as exc:
        errors.append(repr(exc))
threads = [threading.Thread(target=touch, args=(i,)) for i in range(16)]
for t in threads: t.start()
for t in threads: t.join()
print(still_answers, errors, "__getattr__" in vars(mc), mc.encrypt.__module__, mc.DecryptReader.__module__)
'''


def test_minio_crypto_answers_every_name_while_and_after_it_loads() -> None:
    run = subprocess.run([sys.executable, "-c", CODE], env=os.environ.copy(), capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["True", "[]", "False", "minio.crypto", "minio.crypto"], run
