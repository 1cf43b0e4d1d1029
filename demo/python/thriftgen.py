"""Generates the Python code for demo/fb303.thrift and demo/demo.thrift with Apache Thrift's
compiler into a temporary directory, and puts it on sys.path. Done at every start, so the code
always matches the IDL and nothing generated is committed."""

import atexit
import os
import shutil
import subprocess
import sys
import tempfile

DEMO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ensure():
    thrift = shutil.which("thrift")
    if thrift is None:
        sys.exit("thrift-compiler is missing: apt-get install -y thrift-compiler python3-thrift")
    out = tempfile.mkdtemp(prefix="thrifttop-gen-py-")
    atexit.register(shutil.rmtree, out, True)
    subprocess.run(
        [thrift, "-r", "--gen", "py", "-out", out, os.path.join(DEMO_DIR, "demo.thrift")],
        check=True,
    )
    sys.path.insert(0, out)
    return out
