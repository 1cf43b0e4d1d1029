"""Generates the Python code for IDL files in demo/ (by default demo.thrift, which includes
fb303.thrift) with Apache Thrift's compiler into a temporary directory, and puts it on sys.path.
Done at every start, so the code always matches the IDL and nothing generated is committed.

    thriftgen.ensure()                       # demo + fb303
    thriftgen.ensure("wiretest.thrift")      # wiretest + fb303
"""

import atexit
import os
import shutil
import subprocess
import sys
import tempfile

DEMO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ensure(*idl_files):
    """Generates each of idl_files (names in demo/, with their includes: -r) into one fresh
    directory, first on sys.path; returns that directory. No names: demo.thrift."""
    thrift = shutil.which("thrift")
    if thrift is None:
        sys.exit("thrift-compiler is missing: apt-get install -y thrift-compiler python3-thrift")
    out = tempfile.mkdtemp(prefix="thrifttop-gen-py-")
    atexit.register(shutil.rmtree, out, True)
    for idl in idl_files or ("demo.thrift",):
        subprocess.run([thrift, "-r", "--gen", "py", "-out", out, os.path.join(DEMO_DIR, idl)], check=True)
    sys.path.insert(0, out)
    return out
